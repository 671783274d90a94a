import Hummingbird

extension Request {
    /// The query parameters as a dictionary; when a name repeats, the first value wins.
    var firstQueryValues: [String: String] {
        var query: [String: String] = [:]
        for (key, value) in uri.queryParameters where query[String(key)] == nil {
            query[String(key)] = String(value)
        }
        return query
    }
}
