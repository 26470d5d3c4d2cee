public import ExportSyncCore

/// Why the state store refused to open a database or to record a transition.
///
/// Messages name the database path where one is involved and never contain secrets or
/// query strings of operation URLs.
public enum StateStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The database was written by a newer exportsync: its schema version is higher than this
    /// build knows, or it records migrations this build does not have.
    case newerSchema(path: String, found: Int, known: Int, unknownMigrations: [String])
    /// The file exists but is not an SQLite database (or is damaged). It was left untouched.
    case notADatabase(path: String, detail: String)
    /// The file is an SQLite database that belongs to another application.
    case notAnExportSyncDatabase(path: String)
    /// A read-only open found a database that still needs migrations this build would apply.
    case needsMigration(path: String, found: Int, known: Int)
    /// The database could not be opened or used for another reason (permissions, disk full…).
    case sqlite(path: String, detail: String)
    /// No run has this id.
    case runNotFound(Int64)
    /// No operation has this id.
    case operationNotFound(Int64)
    /// No job has this name (``StateStore/syncJobs(_:at:)`` registers jobs).
    case unknownJob(String)
    /// The job still has an unfinished run; a job never has two runs in flight.
    case jobHasUnfinishedRun(job: String, runID: Int64)
    /// The run's lifecycle does not allow this step; nothing was written.
    case illegalTransition(runID: Int64, IllegalRunTransition)
    /// A row contradicts the lifecycle (e.g. a polling run without an operation).
    case inconsistentRun(runID: Int64, detail: String)

    public var description: String {
        switch self {
        case let .newerSchema(path, found, known, unknown):
            let extra = unknown.isEmpty ? "" : "; unknown migrations: \(unknown.joined(separator: ", "))"
            return "database \(path) was written by a newer exportsync (schema \(found), this build knows up to \(known)\(extra)); refusing to open"
        case let .notADatabase(path, detail):
            return "database \(path) is not a valid SQLite database or is corrupt (\(detail)); it was left untouched — move it aside or restore it from a backup"
        case let .notAnExportSyncDatabase(path):
            return "database \(path) is an SQLite database of another application; refusing to use it"
        case let .needsMigration(path, found, known):
            return "database \(path) has schema \(found) but this build uses \(known); open it read-write (e.g. start the daemon) to migrate it"
        case let .sqlite(path, detail):
            return "database \(path): \(detail)"
        case let .runNotFound(id):
            return "no run with id \(id)"
        case let .operationNotFound(id):
            return "no operation with id \(id)"
        case let .unknownJob(name):
            return "no job named '\(name)' in the database"
        case let .jobHasUnfinishedRun(job, runID):
            return "job '\(job)' still has unfinished run \(runID)"
        case let .illegalTransition(runID, error):
            return "run \(runID): \(error)"
        case let .inconsistentRun(runID, detail):
            return "run \(runID) is inconsistent: \(detail)"
        }
    }
}
