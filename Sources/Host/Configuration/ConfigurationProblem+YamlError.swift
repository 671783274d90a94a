import Yams

// MARK: - Turning Yams errors into problems

extension ConfigurationProblem {
    /// The problems a Yams parse error stands for: one syntax error, or one per duplicated key.
    /// - Parameters:
    ///   - error: what Yams threw.
    ///   - file: the file, as given to the loader.
    ///   - yaml: the document's text.
    /// - Returns: at least one problem.
    static func problems(for error: YamlError, file: String, yaml: String) -> [ConfigurationProblem] {
        func problem(_ message: String, line: Int, column: Int, keyPath: String = "") -> ConfigurationProblem {
            ConfigurationProblem(file: file, line: line, column: column, keyPath: keyPath, message: oneLine(message))
        }
        switch error {
        case .scanner(let context, let message, let mark, _),
             .parser(let context, let message, let mark, _),
             .composer(let context, let message, let mark, _):
            var text = "invalid YAML: \(message)"
            if let context, !context.text.isEmpty {
                text += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return [problem(text, line: mark.line, column: mark.column)]
        case .reader(let message, let offset, _, _):
            let (line, column) = offset.map { position(ofUTF8Offset: $0, in: yaml) } ?? (0, 0)
            return [problem("invalid YAML: \(message)", line: line, column: column)]
        case .duplicatedKeysInMapping(let duplicates, let context):
            let locator = DuplicateKeyLocator(yaml: yaml)
            return duplicates.map { key in
                if let location = locator.locate(key, near: context.mark) {
                    return problem(
                        "duplicate key '\(key)' (first at line \(location.firstLine))",
                        line: location.line,
                        column: location.column,
                        keyPath: location.keyPath
                    )
                }
                return problem("duplicate key '\(key)'", line: context.mark.line, column: context.mark.column, keyPath: key)
            }
        default:
            return [problem("invalid YAML: \(error)", line: 0, column: 0)]
        }
    }

    /// The 1-based line and column of a UTF-8 byte offset.
    private static func position(ofUTF8Offset offset: Int, in text: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var consumed = 0
        for scalar in text.unicodeScalars {
            guard consumed < offset else { break }
            consumed += UTF8.width(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }

    /// `text` with line breaks turned into spaces, so each problem prints on one line.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }).trimmingSuffixSpaces()
    }
}

extension String {
    /// The string without trailing spaces.
    fileprivate func trimmingSuffixSpaces() -> String {
        var result = self
        while result.last == " " {
            result.removeLast()
        }
        return result
    }
}
