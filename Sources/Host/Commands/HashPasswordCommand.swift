import ArgumentParser
import Foundation

/// `sandra hash-password`: reads a password on standard input and prints its hash for
/// `admin.password_hash`, so that channels.yaml need not hold the password itself.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Read an admin password from standard input; print its scrypt hash for admin.password_hash.")

    func run() throws {
        guard let line = readLine(strippingNewline: true), line.count >= AdminConfiguration.minimumPasswordLength else {
            FileHandle.standardError.write(Data("the password must be at least \(AdminConfiguration.minimumPasswordLength) characters\n".utf8))
            throw ExitCode(64)
        }
        print(try PasswordHash.make(password: line).encoded)
    }
}
