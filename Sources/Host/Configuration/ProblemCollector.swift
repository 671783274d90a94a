import Yams

/// Gathers the problems found while loading one file, so that all of them are reported at once.
///
/// Lives only for one ``ConfigurationLoader/load(yaml:file:)`` call and is never shared
/// between tasks.
final class ProblemCollector {
    /// The file the problems are in.
    let file: String
    /// The problems so far, in the order they were found.
    private(set) var problems: [ConfigurationProblem] = []
    private var keyPaths: Set<String> = []

    /// Creates an empty collector.
    /// - Parameter file: the file the problems are in.
    init(file: String) {
        self.file = file
    }

    /// Records a problem.
    /// - Parameters:
    ///   - message: what is wrong, on one line, with no secret in it.
    ///   - keyPath: the dotted key path.
    ///   - mark: where it is; `nil` for no position.
    func add(_ message: String, keyPath: String, at mark: Mark?) {
        problems.append(ConfigurationProblem(
            file: file,
            line: mark?.line ?? 0,
            column: mark?.column ?? 0,
            keyPath: keyPath,
            message: message
        ))
        keyPaths.insert(keyPath)
    }

    /// Whether a problem was already recorded for `keyPath`, so that a later check does not
    /// report the same key twice.
    /// - Parameter keyPath: the dotted key path.
    /// - Returns: `true` when the key already has a problem.
    func hasProblem(at keyPath: String) -> Bool {
        keyPaths.contains(keyPath)
    }

    /// Whether nothing is wrong so far.
    var isEmpty: Bool { problems.isEmpty }
}
