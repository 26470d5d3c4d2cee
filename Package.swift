// swift-tools-version:6.2
import PackageDescription

/// Settings shared by every target of ours: Swift 6 language mode (the tools default) plus the
/// upcoming features the style anchors (Hummingbird 2) build with.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// How the release daemon is linked on Linux (issue 16, memory; BENCHMARKS.md has the numbers).
/// Idle, most of its resident memory is code mapped from files, and the loader touches much of
/// it before `main`:
/// - `lld` with `-z pack-relative-relocs`: the 3.3 MiB of relative relocations a PIE needs
///   become a 28 KiB RELR table (glibc 2.36 or later). The binary stays position-independent.
/// - `--no-export-dynamic`: with `--static-swift-stdlib` (which `scripts/install` and
///   `scripts/bench` pass; it links the Swift runtime and Foundation in, so the loader no longer
///   relocates six shared libraries) the toolchain exports the 40,000 symbols of our own objects;
///   nothing looks them up, and they keep dead code alive.
/// Debug builds (the tests) link the default way.
let releaseLinkFlags = [
    "-use-ld=lld",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
]

let package = Package(
    name: "exportsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "exportsync", targets: ["exportsync"]),
        // scripts/bench only: fills a state database with a backlog of polling runs.
        .executable(name: "exportsync-backlog-seed", targets: ["BacklogSeeder"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: Pure core: value types and decisions, no I/O.
        .target(
            name: "ExportSyncCore",
            swiftSettings: strictSettings
        ),
        // MARK: TOML → validated Configuration.
        .target(
            name: "ExportSyncConfig",
            dependencies: [
                "ExportSyncCore",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: SQLite state (GRDB over the system libsqlite3).
        .target(
            name: "ExportSyncStore",
            dependencies: [
                "ExportSyncCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: Workiva and WebAdMIT clients over AsyncHTTPClient.
        .target(
            name: "ExportSyncProviders",
            dependencies: [
                "ExportSyncCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: Scheduler, poller, downloader; atomic file output.
        .target(
            name: "ExportSyncEngine",
            dependencies: [
                "ExportSyncCore",
                "ExportSyncConfig",
                "ExportSyncStore",
                "ExportSyncProviders",
                "Systemd",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: Prometheus metrics: the registry, the database gauges, the /metrics listener.
        .target(
            name: "ExportSyncMetrics",
            dependencies: [
                "ExportSyncCore",
                "ExportSyncStore",
                "ExportSyncProviders",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: systemd integration: sd_notify and the journald log handler.
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .target(
            name: "Systemd",
            dependencies: [
                "CSystemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: Local simulator of the Workiva, WebAdMIT and S3 APIs.
        .target(
            name: "ExportSyncSandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: The daemon's services (engine, reload, watchdog) and the builder run/once and tests share.
        .target(
            name: "ExportSyncDaemon",
            dependencies: [
                "ExportSyncConfig",
                "ExportSyncStore",
                "ExportSyncProviders",
                "ExportSyncEngine",
                "ExportSyncMetrics",
                "Systemd",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // MARK: The command-line tool and daemon.
        .executableTarget(
            name: "exportsync",
            dependencies: [
                "ExportSyncCore",
                "ExportSyncConfig",
                "ExportSyncStore",
                "ExportSyncProviders",
                "ExportSyncEngine",
                "ExportSyncDaemon",
                "ExportSyncMetrics",
                "ExportSyncSandbox",
                "Systemd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings,
            linkerSettings: [.unsafeFlags(releaseLinkFlags, .when(platforms: [.linux], configuration: .release))]
        ),
        // MARK: Benchmark fixture: a backlog of polling runs, written through the store's API.
        .executableTarget(
            name: "BacklogSeeder",
            dependencies: [
                "ExportSyncCore",
                "ExportSyncConfig",
                "ExportSyncStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(
            name: "ExportSyncCoreTests",
            dependencies: ["ExportSyncCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncConfigTests",
            dependencies: ["ExportSyncConfig", "ExportSyncCore"],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncStoreTests",
            dependencies: [
                "ExportSyncStore", "ExportSyncCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncProvidersTests",
            dependencies: [
                "ExportSyncProviders", "ExportSyncCore", "ExportSyncSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncEngineTests",
            dependencies: [
                "exportsync", "TestSupport",
                "ExportSyncEngine", "ExportSyncCore", "ExportSyncConfig", "ExportSyncStore", "ExportSyncSandbox",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncDaemonTests",
            dependencies: [
                "exportsync", "TestSupport", "ExportSyncSandbox", "ExportSyncStore", "ExportSyncCore",
                "ExportSyncDaemon", "ExportSyncEngine", "ExportSyncConfig", "ExportSyncProviders", "ExportSyncMetrics", "Systemd",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SystemdTests",
            dependencies: ["Systemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncSandboxTests",
            dependencies: [
                "ExportSyncSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers the process-level test targets share: running the real binary, scratch dirs.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExportSyncCLITests",
            dependencies: [
                "exportsync", "ExportSyncStore", "ExportSyncCore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
