import Testing

/// The suites that start many processes or connections at once (bursts of thousands of
/// webhooks to several `sandra` processes, PostgreSQL stopped or a host frozen, hundreds of
/// slow connections): one at a time, so that each one's deadlines are measured on a machine
/// the others are not saturating. Other suites still run beside them.
@Suite(.serialized)
enum ProcessHeavyTests {}

typealias ConnectionLimitsTests = ProcessHeavyTests.ConnectionLimitsTests
typealias MultiHostTests = ProcessHeavyTests.MultiHostTests
typealias MultiHostFaultTests = ProcessHeavyTests.MultiHostFaultTests
typealias DurabilityTests = ProcessHeavyTests.DurabilityTests
