import Foundation
import Yams

/// Reads one mapping of `channels.yaml` (a section, or one channel): checks its keys and turns
/// its values into typed settings, recording every problem instead of stopping at the first.
///
/// Values are interpolated (``EnvironmentInterpolator``) when read. A value that is absent,
/// `null`, `~` or empty after interpolation takes the default. A value with a problem also
/// takes the default, so reading continues and the caller sees one problem per key.
///
/// YAML merge keys (`<<: *defaults`) are honoured, so channels can share settings through an
/// anchor defined on one of them.
struct MappingReader {
    /// One `key: value` pair of the mapping.
    struct Entry {
        /// The key's text.
        var key: String
        /// The key's node, for its position.
        var keyNode: Node
        /// The value's node.
        var value: Node
    }

    /// What reading a value found.
    enum Lookup {
        /// The key is not there.
        case absent
        /// The key is there but its value had a problem, already recorded.
        case failed
        /// The key's interpolated value (possibly empty) and where its value and key are.
        case value(String, at: Mark?, keyMark: Mark?)
    }

    /// The dotted path of this mapping; empty for the document.
    let keyPath: String
    /// Where a missing key is reported: the mapping, or its key when the value is empty.
    let anchor: Mark?
    /// Whether the node was a mapping (or empty). `false` means a problem was recorded and the
    /// caller should not look for keys that cannot be there.
    let isWellFormed: Bool
    /// The pairs, in file order, without duplicates.
    private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]
    /// Where problems go.
    let problems: ProblemCollector
    private let interpolator: EnvironmentInterpolator

    /// Reads a node that should be a mapping.
    /// - Parameters:
    ///   - node: the node; `nil` or a YAML null stands for an empty mapping.
    ///   - keyPath: the node's dotted key path.
    ///   - keyMark: where the node's key is, used when the node itself is empty.
    ///   - expectation: what the node should be, for the message when it is not a mapping.
    ///   - problems: where problems go.
    ///   - interpolator: replaces placeholders in values.
    init(
        _ node: Node?,
        keyPath: String,
        keyMark: Mark?,
        expectation: String = "a mapping",
        problems: ProblemCollector,
        interpolator: EnvironmentInterpolator
    ) {
        self.keyPath = keyPath
        self.problems = problems
        self.interpolator = interpolator
        guard let node, !Self.isNull(node) else {
            anchor = keyMark ?? node?.mark
            isWellFormed = true
            return
        }
        guard case .mapping(let mapping) = node else {
            anchor = node.mark
            isWellFormed = false
            problems.add("expected \(expectation), found \(Self.describe(node))", keyPath: keyPath, at: node.mark)
            return
        }
        anchor = mapping.mark
        isWellFormed = true
        var merged: [Node.Mapping] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                problems.add("a key must be a plain value, found \(Self.describe(keyNode))", keyPath: keyPath, at: keyNode.mark)
                continue
            }
            let key = scalar.string
            if key == "<<", scalar.style == .plain {
                switch value {
                case .mapping(let source):
                    merged.append(source)
                    continue
                case .sequence(let sources) where sources.allSatisfy({ $0.mapping != nil }):
                    merged += sources.compactMap(\.mapping)
                    continue
                default:
                    problems.add("a merge key ('<<') needs an alias of a mapping, or a list of them", keyPath: path(key), at: value.mark)
                    continue
                }
            }
            if let earlier = indexByKey[key] {
                // Yams rejects most duplicates while parsing; this catches the rest
                // (`1:` and `"1":` differ by tag but not by text).
                let line = entries[earlier].keyNode.mark.map { " (first at line \($0.line))" } ?? ""
                problems.add("duplicate key '\(key)'\(line)", keyPath: path(key), at: keyNode.mark)
                continue
            }
            indexByKey[key] = entries.count
            entries.append(Entry(key: key, keyNode: keyNode, value: value))
        }
        // YAML merge keys (`<<: *defaults`): keys written here win, then earlier sources.
        // Problems inside a source are reported where the source itself is read, not here.
        for source in merged {
            let reader = MappingReader(
                .mapping(source), keyPath: keyPath, keyMark: nil,
                problems: ProblemCollector(file: problems.file), interpolator: interpolator
            )
            for entry in reader.entries where indexByKey[entry.key] == nil {
                indexByKey[entry.key] = entries.count
                entries.append(entry)
            }
        }
    }

    // MARK: Keys

    /// The dotted path of `key` in this mapping.
    /// - Parameter key: a key.
    /// - Returns: `keyPath.key`, or `key` at the top level.
    func path(_ key: String) -> String {
        keyPath.isEmpty ? key : "\(keyPath).\(key)"
    }

    /// The entry for `key`, if present.
    /// - Parameter key: a key.
    /// - Returns: the entry, or `nil`.
    func entry(_ key: String) -> Entry? {
        indexByKey[key].map { entries[$0] }
    }

    /// Records every key that is not in `known`, suggesting the closest known key.
    /// - Parameter known: the keys this mapping accepts.
    func rejectUnknownKeys(known: [String]) {
        for entry in entries where !known.contains(entry.key) {
            var message = "unknown key"
            if let suggestion = KeySuggestion.closest(to: entry.key, among: known) {
                message += "; did you mean '\(suggestion)'?"
            } else if !known.isEmpty {
                message += "; expected one of: \(known.joined(separator: ", "))"
            }
            problems.add(message, keyPath: path(entry.key), at: entry.keyNode.mark)
        }
    }

    /// Reads the mapping under `key`.
    /// - Parameters:
    ///   - key: the key.
    ///   - expectation: what the value should be, for the message when it is not a mapping.
    /// - Returns: a reader, empty when the key is absent.
    func section(_ key: String, expectation: String = "a mapping") -> MappingReader {
        let entry = entry(key)
        return MappingReader(
            entry?.value,
            keyPath: path(key),
            keyMark: entry?.keyNode.mark ?? anchor,
            expectation: expectation,
            problems: problems,
            interpolator: interpolator
        )
    }

    // MARK: Values

    /// Where the value of `key` comes from: an environment variable its placeholder names,
    /// the file, or nowhere (the default).
    /// - Parameter key: the key.
    func origin(of key: String) -> SettingOrigin {
        guard let entry = entry(key), case .scalar(let scalar) = entry.value, !Self.isNull(entry.value) else { return .fieldDefault }
        if let variable = interpolator.setVariables(in: scalar.string).first { return .environment(variable: variable) }
        guard let value = try? interpolator.interpolate(scalar.string), !value.isEmpty else { return .fieldDefault }
        return .file(path: problems.file, line: scalar.mark?.line ?? entry.keyNode.mark?.line ?? 0)
    }

    /// Whether the operator chose `key`'s value: written literally in the file, or taken from
    /// an environment variable that is set. A placeholder's default (`${VAR:-echo}` with `VAR`
    /// unset) and an absent key are not a choice.
    /// - Parameter key: the key.
    func isExplicit(_ key: String) -> Bool {
        guard let entry = entry(key), case .scalar(let scalar) = entry.value, !Self.isNull(entry.value) else { return false }
        if !interpolator.setVariables(in: scalar.string).isEmpty { return true }
        return !scalar.string.contains("${")
    }

    /// Reads and interpolates the value of `key`.
    /// - Parameter key: the key.
    /// - Returns: what was found; problems are already recorded.
    func lookup(_ key: String) -> Lookup {
        guard let entry = entry(key) else { return .absent }
        let keyMark = entry.keyNode.mark
        switch entry.value {
        case .scalar(let scalar):
            if Self.isNull(entry.value) {
                return .value("", at: scalar.mark, keyMark: keyMark)
            }
            do {
                return .value(try interpolator.interpolate(scalar.string), at: scalar.mark, keyMark: keyMark)
            } catch {
                for message in error.messages {
                    problems.add(message, keyPath: path(key), at: scalar.mark)
                }
                return .failed
            }
        case .mapping, .sequence, .alias:
            problems.add("expected a single value, found \(Self.describe(entry.value))", keyPath: path(key), at: entry.value.mark)
            return .failed
        }
    }

    /// Reads a value and converts it, falling back to `fallback` when it is absent, empty or bad.
    /// - Parameters:
    ///   - key: the key.
    ///   - fallback: the default.
    ///   - convert: turns the text into a value, or returns the message saying why it cannot.
    /// - Returns: the value.
    func value<T>(_ key: String, default fallback: T, _ convert: (String) -> Result<T, ValueProblem>) -> T {
        guard case .value(let text, let mark, _) = lookup(key), !text.isEmpty else { return fallback }
        switch convert(text) {
        case .success(let value):
            return value
        case .failure(let problem):
            problems.add(problem.message, keyPath: path(key), at: mark)
            return fallback
        }
    }

    /// Reads text.
    /// - Parameters:
    ///   - key: the key.
    ///   - fallback: the default.
    /// - Returns: the value.
    func string(_ key: String, default fallback: String) -> String {
        value(key, default: fallback) { .success($0) }
    }

    /// Reads a whole number within bounds.
    /// - Parameters:
    ///   - key: the key.
    ///   - fallback: the default.
    ///   - minimum: the smallest value allowed.
    ///   - maximum: the largest value allowed, if any.
    /// - Returns: the value.
    func integer(_ key: String, default fallback: Int, minimum: Int, maximum: Int? = nil) -> Int {
        value(key, default: fallback) { Self.parseInteger($0, minimum: minimum, maximum: maximum, isSecret: false) }
    }

    /// Reads `true`/`false` (also `yes`/`no`, `on`/`off`).
    /// - Parameters:
    ///   - key: the key.
    ///   - fallback: the default.
    /// - Returns: the value.
    func boolean(_ key: String, default fallback: Bool) -> Bool {
        value(key, default: fallback) { Self.parseBoolean($0, isSecret: false) }
    }

    /// Reads an `http://` or `https://` URL.
    /// - Parameters:
    ///   - key: the key.
    ///   - fallback: the default.
    /// - Returns: the value.
    func url(_ key: String, default fallback: String) -> String {
        value(key, default: fallback) { Self.parseURL($0, isSecret: false) }
    }

    /// Reads a list: a YAML sequence of single values, or one value holding a comma-separated
    /// list (so that one environment variable can carry it). Items are trimmed; empty ones
    /// are skipped. Each item is checked with `convert`; a bad one is reported at its own
    /// position and left out.
    /// - Parameters:
    ///   - key: the key.
    ///   - convert: checks one item and returns its canonical form, or why it is wrong.
    /// - Returns: the items, in order; empty when the key is absent.
    func list(_ key: String, _ convert: (String) -> Result<String, ValueProblem>) -> [String] {
        guard let entry = entry(key) else { return [] }
        var items: [(text: String, mark: Mark?)] = []
        switch entry.value {
        case .sequence(let sequence):
            for element in sequence {
                guard case .scalar(let scalar) = element else {
                    problems.add("expected a list of single values, found \(Self.describe(element)) in it", keyPath: path(key), at: element.mark)
                    continue
                }
                if Self.isNull(element) { continue }
                do {
                    items.append((try interpolator.interpolate(scalar.string), scalar.mark))
                } catch {
                    for message in error.messages { problems.add(message, keyPath: path(key), at: scalar.mark) }
                }
            }
        case .scalar:
            guard case .value(let text, let mark, _) = lookup(key) else { return [] }
            items = text.split(separator: ",").map { (String($0), mark) }
        case .mapping, .alias:
            problems.add("expected a list or a comma-separated value, found \(Self.describe(entry.value))", keyPath: path(key), at: entry.value.mark)
            return []
        }
        var result: [String] = []
        for item in items {
            let text = item.text.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            switch convert(text) {
            case .success(let value):
                if !result.contains(value) { result.append(value) }
            case .failure(let problem):
                problems.add(problem.message, keyPath: path(key), at: item.mark)
            }
        }
        return result
    }

    // MARK: Parsing

    /// Why a value does not fit its key.
    struct ValueProblem: Error {
        /// One line, with no secret in it.
        var message: String
    }

    /// Parses a whole number within bounds.
    static func parseInteger(_ text: String, minimum: Int?, maximum: Int?, isSecret: Bool) -> Result<Int, ValueProblem> {
        guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
            return .failure(ValueProblem(message: "expected a whole number\(got(text, isSecret))"))
        }
        switch (minimum, maximum) {
        case let (minimum?, maximum?) where !(minimum...maximum).contains(number):
            return .failure(ValueProblem(message: "must be between \(minimum) and \(maximum)\(got(text, isSecret))"))
        case let (minimum?, nil) where number < minimum:
            return .failure(ValueProblem(message: "must be at least \(minimum)\(got(text, isSecret))"))
        default:
            return .success(number)
        }
    }

    /// Parses `true`/`false`, `yes`/`no`, `on`/`off`, case-insensitively.
    static func parseBoolean(_ text: String, isSecret: Bool) -> Result<Bool, ValueProblem> {
        switch text.lowercased() {
        case "true", "yes", "on": .success(true)
        case "false", "no", "off": .success(false)
        default: .failure(ValueProblem(message: "expected true or false\(got(text, isSecret))"))
        }
    }

    /// Checks an `http://` or `https://` URL with a host.
    static func parseURL(_ text: String, isSecret: Bool) -> Result<String, ValueProblem> {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            return .failure(ValueProblem(message: "expected an http:// or https:// URL\(got(text, isSecret))"))
        }
        return .success(text)
    }

    /// `, got 'text'`, or nothing for a secret.
    private static func got(_ text: String, _ isSecret: Bool) -> String {
        isSecret ? "" : ", got '\(text)'"
    }

    // MARK: Nodes

    /// Whether a node is YAML's null: an empty plain scalar, `~` or `null`.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// `a mapping`, `a list`, `the value 'x'`, for messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar: "a single value"
        }
    }
}
