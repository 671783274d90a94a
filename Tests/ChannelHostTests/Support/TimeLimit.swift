/// What `work` returns, or `nil` when `limit` passes first.
///
/// For waits that may never end (a host that does not stop, a process that does not exit):
/// `work` runs in a task of its own, which is cancelled but not waited for when the limit passes.
func value<T: Sendable>(within limit: Duration, of work: @escaping @Sendable () async -> T) async -> T? {
    let (results, signal) = AsyncStream.makeStream(of: T.self)
    let worker = Task {
        signal.yield(await work())
        signal.finish()
    }
    let result = await withTaskGroup(of: T?.self) { group in
        group.addTask { for await result in results { return result }; return nil }
        group.addTask { try? await Task.sleep(for: limit); return nil }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
    if result == nil { worker.cancel() }
    return result
}
