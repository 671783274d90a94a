/// The key of a prepared statement in a connection's cache: its SQL, hashed cheaply.
///
/// `String` hashes every byte of the text (SipHash, Unicode-aware), and the store's statements
/// run to hundreds of bytes, looked up for every statement run: about 25,000 instructions per
/// answered message went into hashing SQL. Here the hash takes the length and at most 24
/// bytes from the end of the text, where statements of the same shape differ; equality still
/// compares the whole text, so two statements never share a slot, only (rarely) a bucket.
struct StatementKey: Hashable {
    let sql: String

    init(_ sql: String) {
        self.sql = sql
    }

    static func == (lhs: StatementKey, rhs: StatementKey) -> Bool {
        lhs.sql == rhs.sql
    }

    func hash(into hasher: inout Hasher) {
        let utf8 = sql.utf8
        hasher.combine(utf8.count)
        for byte in utf8.suffix(24) { hasher.combine(byte) }
    }
}
