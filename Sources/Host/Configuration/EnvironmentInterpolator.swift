/// Replaces environment placeholders in one configuration value.
///
/// | Written | Becomes |
/// |---------|---------|
/// | `${VAR}` | the value of `VAR`, possibly empty; a problem when `VAR` is not set |
/// | `${VAR:-default}` | the value of `VAR`, or `default` (possibly empty) when `VAR` is unset or empty |
/// | `$$` | a literal `$` |
/// | `$` followed by anything else | itself |
///
/// A value may hold several placeholders. A default is literal text up to the first `}`.
/// Substituted text is not scanned again, so a secret containing `$` stays as it is. The loader
/// applies this to parsed YAML scalars, never to the raw file, so a value containing `:`, `#`
/// or a newline cannot change the document's structure.
struct EnvironmentInterpolator: Sendable {
    /// Why a value could not be interpolated: one message per bad placeholder.
    struct Failure: Error, Sendable {
        /// One line per problem, such as `environment variable PORT is not set`.
        var messages: [String]
    }

    /// The variables, usually `ProcessInfo.processInfo.environment`.
    let environment: [String: String]

    /// Creates an interpolator.
    /// - Parameter environment: the variables placeholders refer to.
    init(environment: [String: String]) {
        self.environment = environment
    }

    /// Replaces every placeholder in `text`.
    /// - Parameter text: a value as written in the file.
    /// - Returns: the value with placeholders replaced.
    /// - Throws: ``Failure`` listing each unset variable, bad name or unterminated `${`.
    func interpolate(_ text: String) throws(Failure) -> String {
        guard text.contains("$") else { return text }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var messages: [String] = []
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            guard scalar == "$", index + 1 < scalars.count else {
                output.append(scalar)
                index += 1
                continue
            }
            switch scalars[index + 1] {
            case "$":
                output.append("$")
                index += 2
            case "{":
                guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                    messages.append("unterminated '${' (missing '}')")
                    index = scalars.count
                    continue
                }
                let body = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
                switch resolve(body) {
                case .success(let value): output.append(contentsOf: value.unicodeScalars)
                case .failure(let message): messages.append(message)
                }
                index = close + 1
            default:
                output.append(scalar)
                index += 1
            }
        }
        guard messages.isEmpty else { throw Failure(messages: messages) }
        return String(output)
    }

    /// The variables named by the placeholders of `text` that are set to a non-empty value,
    /// in order: where an interpolated value came from.
    /// - Parameter text: a value as written in the file.
    func setVariables(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else { break }
            let body = afterOpen[..<close]
            let name = body.firstRange(of: ":-").map { String(body[..<$0.lowerBound]) } ?? String(body)
            if Self.isValidName(name), let value = environment[name], !value.isEmpty { names.append(name) }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        return names
    }

    private enum Resolution {
        case success(String)
        case failure(String)
    }

    /// Resolves the inside of one `${…}`.
    private func resolve(_ body: String) -> Resolution {
        let name: String
        let fallback: String?
        if let separator = body.firstRange(of: ":-") {
            name = String(body[..<separator.lowerBound])
            fallback = String(body[separator.upperBound...])
        } else {
            name = body
            fallback = nil
        }
        guard Self.isValidName(name) else {
            return .failure("invalid placeholder '${\(body)}'; write ${NAME} or ${NAME:-default}")
        }
        if let fallback {
            let value = environment[name] ?? ""
            return .success(value.isEmpty ? fallback : value)
        }
        guard let value = environment[name] else {
            return .failure("environment variable \(name) is not set")
        }
        return .success(value)
    }

    /// Whether `name` looks like an environment variable: `[A-Za-z_][A-Za-z0-9_]*`.
    private static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isLetter($0) || ("0"..."9").contains($0) }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
