/// Every relative path one job's output template can resolve to, as a pattern: the values the
/// job fixes (its identifiers, `{job}`) are filled in, and each run-dependent placeholder
/// (`{run}`, `{date}`, `{filename}`, …) is a wildcard of the characters it can produce.
///
/// Two patterns that ``canOverlap(_:)`` may name the same file: the configuration refuses such a
/// pair of jobs, since one would overwrite the other's files. The test over-approximates (it
/// may answer `true` for paths that cannot actually meet, never `false` for paths that can):
/// each wildcard occurrence is free, a component the daemon may shorten becomes one wildcard.
/// Matching works on Unicode scalars, which is how the file system compares names.
public struct OutputPattern: Sendable, Hashable, CustomStringConvertible {
    /// A set of Unicode scalars one position may hold (never `/`).
    public enum ScalarClass: Sendable, Hashable {
        /// Any scalar but `/`.
        case any
        /// `0`–`9`.
        case digits
        /// Exactly these scalars.
        case oneOf(Set<Unicode.Scalar>)

        /// Whether some scalar is in both classes.
        func intersects(_ other: ScalarClass) -> Bool {
            switch (self, other) {
            case (.any, _), (_, .any), (.digits, .digits): true
            case (.digits, .oneOf(let set)), (.oneOf(let set), .digits): set.contains(where: Self.isDigit)
            case (.oneOf(let left), .oneOf(let right)): !left.isDisjoint(with: right)
            }
        }

        /// Whether every scalar of the class is a non-digit.
        var excludesDigits: Bool {
            if case .oneOf(let set) = self { return !set.contains(where: Self.isDigit) }
            return false
        }

        static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    }

    /// One step of a component's pattern.
    public enum Element: Sendable, Hashable {
        /// Exactly one scalar of the class.
        case one(ScalarClass)
        /// Zero or more scalars of the class.
        case repeated(ScalarClass)
    }

    /// One path component (between two `/`).
    public struct Component: Sendable, Hashable {
        /// The component's pattern.
        public var elements: [Element]
        /// Where a `{run}` sits whose digits can be read back from the finished name: after
        /// exactly this many scalars from the start (`prefix`) or before exactly this many from
        /// the end (`suffix`), with a non-digit or the component's edge on its other side.
        /// Run ids are unique across jobs, so two components anchoring their `{run}` the same
        /// way never name the same file.
        public var runAfterPrefix: Int?
        /// See ``runAfterPrefix``.
        public var runBeforeSuffix: Int?

        /// A component of literal scalars only.
        public init(literal: String) {
            elements = literal.unicodeScalars.map { .one(.oneOf([$0])) }
        }

        /// A component from its elements, with no `{run}` anchor.
        public init(elements: [Element], runAfterPrefix: Int? = nil, runBeforeSuffix: Int? = nil) {
            self.elements = elements
            self.runAfterPrefix = runAfterPrefix
            self.runBeforeSuffix = runBeforeSuffix
        }

        /// Whether one string can match both components.
        func canOverlap(_ other: Component) -> Bool {
            if let prefix = runAfterPrefix, prefix == other.runAfterPrefix { return false }
            if let suffix = runBeforeSuffix, suffix == other.runBeforeSuffix { return false }
            return Self.intersect(elements, other.elements)
        }

        /// Whether the two patterns' languages meet: reachability in the product of the two
        /// automata (state = an index into each side; a `repeated` element loops on itself).
        static func intersect(_ left: [Element], _ right: [Element]) -> Bool {
            let width = right.count + 1
            var seen = [Bool](repeating: false, count: (left.count + 1) * width)
            var stack = [(0, 0)]
            seen[0] = true
            while let (i, j) = stack.popLast() {
                if i == left.count, j == right.count { return true }
                var next: [(Int, Int)] = []
                let a = i < left.count ? left[i] : nil
                let b = j < right.count ? right[j] : nil
                if case .repeated? = a { next.append((i + 1, j)) }
                if case .repeated? = b { next.append((i, j + 1)) }
                switch (a, b) {
                case (.one(let x)?, .one(let y)?) where x.intersects(y): next.append((i + 1, j + 1))
                case (.repeated(let x)?, .one(let y)?) where x.intersects(y): next.append((i, j + 1))
                case (.one(let x)?, .repeated(let y)?) where x.intersects(y): next.append((i + 1, j))
                default: break
                }
                for (p, q) in next where !seen[p * width + q] {
                    seen[p * width + q] = true
                    stack.append((p, q))
                }
            }
            return false
        }
    }

    /// The components, outermost first.
    public let components: [Component]
    /// The template with the job's fixed values filled in and run-dependent placeholders kept,
    /// e.g. `reports/tf-1/{date}.pdf`.
    public let description: String

    /// A pattern from its parts (tests build them directly).
    public init(components: [Component], description: String) {
        self.components = components
        self.description = description
    }

    /// The most bytes a run-dependent placeholder's value can take: an Int64 has at most 19
    /// digits, a date's year (from an Int64 of seconds) at most 12; anything else is bounded
    /// only by the sanitiser.
    static func longestValue(of placeholder: String) -> Int {
        switch placeholder {
        case "run": 19
        case "date": 12 + 6
        case "time": 6
        case "datetime": 12 + 4 + 1 + 6 + 1
        default: PathComponentSanitizer.maximumBytes
        }
    }

    /// What a run-dependent placeholder's value can look like.
    static func wildcard(for placeholder: String) -> [Element] {
        let digits: [Element] = [.one(.digits), .repeated(.digits)]
        let twoDigits: [Element] = [.one(.digits), .one(.digits)]
        let dash = Element.one(.oneOf(["-"]))
        switch placeholder {
        case "run": return digits
        case "date": return digits + [dash] + twoDigits + [dash] + twoDigits
        case "time": return twoDigits + twoDigits + twoDigits
        case "datetime": return digits + twoDigits + twoDigits + [.one(.oneOf(["T"]))] + twoDigits + twoDigits + twoDigits + [.one(.oneOf(["Z"]))]
        default: return [.one(.any), .repeated(.any)]
        }
    }

    /// The pattern of `template` for a job whose fixed values are `fixedValues`; placeholders in
    /// `runDependent` become wildcards, any other resolves as ``PathTemplate/resolve(_:)`` does
    /// (a missing value to `_`).
    public init(template: PathTemplate, fixedValues: [String: String], runDependent: Set<String> = OutputNaming.runDependentPlaceholders) {
        // Split the pieces into components: a literal "/" only comes from the template's text,
        // never from a (sanitised) value.
        var parts: [[ComponentPart]] = [[]]
        for piece in template.pieces {
            switch piece {
            case .literal(let text):
                for (index, chunk) in text.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
                    if index > 0 { parts.append([]) }
                    if !chunk.isEmpty { parts[parts.count - 1].append(.literal(String(chunk))) }
                }
            case .placeholder(let name) where runDependent.contains(name):
                parts[parts.count - 1].append(.placeholder(name))
            case .placeholder(let name):
                parts[parts.count - 1].append(.literal(PathComponentSanitizer.sanitize(fixedValues[name] ?? "")))
            }
        }
        var components: [Component] = []
        var shown: [String] = []
        for part in parts where !part.isEmpty {
            var literal = ""
            var wildcardBytes = 0
            var wildcards = 0
            var text = ""
            for element in part {
                switch element {
                case .literal(let value): literal += value; text += value
                case .placeholder(let name): wildcards += 1; wildcardBytes += Self.longestValue(of: name); text += "{\(name)}"
                }
            }
            guard wildcards > 0 else {
                let resolved = literal == "." || literal == ".." ? "_" : PathTemplate.fitted(literal)
                components.append(Component(literal: resolved))
                shown.append(resolved)
                continue
            }
            shown.append(text)
            // A name that may be cut to fit keeps no shape worth matching: any name.
            if literal.utf8.count + wildcardBytes > PathTemplate.maximumFileNameBytes {
                components.append(Component(elements: Self.wildcard(for: "filename")))
            } else {
                components.append(Self.component(part))
            }
        }
        self.components = components
        description = shown.joined(separator: "/")
    }

    enum ComponentPart { case literal(String), placeholder(String) }

    /// A component with at least one wildcard, its `{run}` anchor and the marker rewrite.
    static func component(_ parts: [ComponentPart]) -> Component {
        var elements: [Element] = []
        var isLiteral: [Bool] = []
        var runStarts: [Int] = []
        var runEnds: [Int] = []
        for part in parts {
            switch part {
            case .literal(let text):
                for scalar in text.unicodeScalars {
                    elements.append(.one(.oneOf([scalar])))
                    isLiteral.append(true)
                }
            case .placeholder(let name):
                if name == "run" { runStarts.append(elements.count) }
                let wildcard = wildcard(for: name)
                elements += wildcard
                isLiteral += wildcard.map { _ in false }
                if name == "run" { runEnds.append(elements.count) }
            }
        }
        rewriteMarker(&elements, isLiteral: isLiteral)
        var component = Component(elements: elements)
        // A {run} preceded by a non-digit literal or the start, with only literals before it.
        for start in runStarts where isLiteral[..<start].allSatisfy({ $0 }) {
            guard let end = runEnds.first(where: { $0 > start }) else { continue }
            if end == elements.count || (isLiteral[end] && nonDigit(elements[end])) {
                component.runAfterPrefix = start
                break
            }
        }
        // A {run} followed by a non-digit literal or the end, with only literals after it.
        for end in runEnds.reversed() where isLiteral[end...].allSatisfy({ $0 }) {
            guard let start = runStarts.last(where: { $0 < end }) else { continue }
            if start == 0 || (isLiteral[start - 1] && nonDigit(elements[start - 1])) {
                component.runBeforeSuffix = elements.count - end
                break
            }
        }
        return component
    }

    static func nonDigit(_ element: Element) -> Bool {
        if case .one(let scalars) = element { return scalars.excludesDigits }
        return false
    }

    /// ``PathTemplate/fitted(_:)`` rewrites the temp-file marker in a resolved name; where a
    /// literal scalar the rewrite changes could be part of a marker that a wildcard completes,
    /// the position may hold either scalar.
    static func rewriteMarker(_ elements: inout [Element], isLiteral: [Bool]) {
        let marker = Array(PathTemplate.temporaryFileMarker.unicodeScalars)
        let rewritten = Array(PathTemplate.neutralisedMarker.unicodeScalars)
        func literal(_ index: Int, is scalar: Unicode.Scalar) -> Bool {
            if case .one(.oneOf(let set)) = elements[index] { return set.contains(scalar) }
            return false
        }
        for position in elements.indices where isLiteral[position] {
            for k in marker.indices where marker[k] != rewritten[k] && literal(position, is: marker[k]) {
                // Walk outwards: literals must spell the marker until a wildcard could supply the rest.
                var fits = true
                var index = position - 1
                var m = k - 1
                while fits, m >= 0 {
                    if index < 0 { fits = false } else if !isLiteral[index] { break } else if !literal(index, is: marker[m]) { fits = false }
                    index -= 1
                    m -= 1
                }
                index = position + 1
                m = k + 1
                while fits, m < marker.count {
                    if index >= elements.count { fits = false } else if !isLiteral[index] { break } else if !literal(index, is: marker[m]) { fits = false }
                    index += 1
                    m += 1
                }
                if fits { elements[position] = .one(.oneOf([marker[k], rewritten[k]])) }
            }
        }
    }

    /// Whether some path can match both patterns (see the type's notes on what it assumes).
    public func canOverlap(_ other: OutputPattern) -> Bool {
        guard components.count == other.components.count else { return false }
        return zip(components, other.components).allSatisfy { $0.canOverlap($1) }
    }
}

extension OutputPattern.Component {
    /// The component's text when it is one fixed name (every element a single scalar).
    var literalText: String? {
        var scalars = String.UnicodeScalarView()
        for element in elements {
            guard case .one(.oneOf(let set)) = element, set.count == 1, let scalar = set.first else { return nil }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}

/// The output patterns of the jobs read so far, indexed so that finding the earliest one a new
/// pattern ``OutputPattern/canOverlap(_:)`` costs about the same with 10 or 100,000 jobs.
///
/// Two patterns can only meet where their fixed components are equal: a pattern is looked up
/// through one of its fixed components (the one with the fewest other patterns that are fixed
/// to the same name or not fixed there), and only those candidates are matched in full. A
/// pattern with no fixed component is matched against every pattern of its depth.
public struct OutputPatternIndex: Sendable {
    private struct Slot: Hashable {
        var depth: Int
        var position: Int
    }

    private struct FixedName: Hashable {
        var slot: Slot
        var name: String
    }

    private var patterns: [OutputPattern] = []
    private var fixed: [FixedName: [Int]] = [:]
    private var open: [Slot: [Int]] = [:]
    private var byDepth: [Int: [Int]] = [:]

    public init() {}

    /// The number of patterns inserted.
    public var count: Int { patterns.count }

    /// The position (in insertion order) of the earliest pattern `pattern` can overlap, if any.
    public func firstOverlap(with pattern: OutputPattern) -> Int? {
        let depth = pattern.components.count
        var candidates: [Int]?
        for (position, component) in pattern.components.enumerated() {
            guard let name = component.literalText else { continue }
            let slot = Slot(depth: depth, position: position)
            let here = (fixed[FixedName(slot: slot, name: name)] ?? []) + (open[slot] ?? [])
            if candidates.map({ here.count < $0.count }) ?? true { candidates = here }
            if candidates?.isEmpty == true { return nil }
        }
        let matching = (candidates ?? byDepth[depth] ?? []).filter { patterns[$0].canOverlap(pattern) }
        return matching.min()
    }

    /// Adds `pattern`; answers its position.
    @discardableResult
    public mutating func insert(_ pattern: OutputPattern) -> Int {
        let index = patterns.count
        patterns.append(pattern)
        let depth = pattern.components.count
        byDepth[depth, default: []].append(index)
        for (position, component) in pattern.components.enumerated() {
            let slot = Slot(depth: depth, position: position)
            if let name = component.literalText {
                fixed[FixedName(slot: slot, name: name), default: []].append(index)
            } else {
                open[slot, default: []].append(index)
            }
        }
        return index
    }
}
