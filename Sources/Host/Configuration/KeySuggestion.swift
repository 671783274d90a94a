/// Finds the known key a mistyped one was probably meant to be (`acess_token` → `access_token`).
enum KeySuggestion {
    /// The candidate closest to `key` by edit distance, when it is close enough to be a typo.
    ///
    /// Close enough means at most `max(2, candidate.count / 3)` edits, where swapping two
    /// neighbouring characters counts as one edit. Case is ignored.
    /// - Parameters:
    ///   - key: the unknown key.
    ///   - candidates: the known keys.
    /// - Returns: the best candidate, or `nil` when none is close.
    static func closest(to key: String, among candidates: [String]) -> String? {
        let typed = Array(key.lowercased())
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(typed, Array(candidate.lowercased()))
            guard distance <= max(2, candidate.count / 3) else { continue }
            if best == nil || distance < best!.distance {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// The optimal-string-alignment distance: insertions, deletions, substitutions and
    /// transpositions of neighbours each cost one.
    /// - Parameters:
    ///   - a: one string, as characters.
    ///   - b: the other string, as characters.
    /// - Returns: the number of edits turning `a` into `b`.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, table[i - 2][j - 2] + 1)
                }
                table[i][j] = value
            }
        }
        return table[a.count][b.count]
    }
}
