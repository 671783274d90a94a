/// Why a configuration could not be loaded: every problem found in the file, not just the first.
///
/// ```swift
/// do {
///     config = try loader.load(path: "channels.yaml")
/// } catch {
///     print(error)   // one `file:line:column: key.path: message` line per problem
/// }
/// ```
struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The problems, in file order (by line, then column).
    var problems: [ConfigurationProblem]

    /// Creates an error.
    /// - Parameter problems: the problems; at least one.
    init(problems: [ConfigurationProblem]) {
        self.problems = problems
    }

    /// One line per problem.
    var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
