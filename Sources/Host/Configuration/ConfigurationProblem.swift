/// One thing wrong with a configuration file, with where it is.
///
/// Printed as `channels.yaml:12:5: channels.instagram.acess_token: unknown key; did you mean 'access_token'?`.
struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file, as given to the loader.
    var file: String
    /// The 1-based line, or `0` when the problem has no position (an unreadable file).
    var line: Int
    /// The 1-based column, or `0` when the problem has no position.
    var column: Int
    /// The dotted path of the key concerned (`channels.instagram.access_token`); empty for
    /// problems of the whole document, such as YAML syntax errors.
    var keyPath: String
    /// What is wrong, on one line. Never contains a secret value.
    var message: String

    /// Creates a problem.
    /// - Parameters:
    ///   - file: the file.
    ///   - line: the 1-based line, `0` for none.
    ///   - column: the 1-based column, `0` for none.
    ///   - keyPath: the dotted key path, or empty.
    ///   - message: what is wrong.
    init(file: String, line: Int, column: Int, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `file:line:column: keyPath: message`, leaving out the parts that are absent.
    var description: String {
        var text = file
        if line > 0 {
            text += ":\(line):\(column)"
        }
        text += ": "
        if !keyPath.isEmpty {
            text += "\(keyPath): "
        }
        return text + message
    }
}
