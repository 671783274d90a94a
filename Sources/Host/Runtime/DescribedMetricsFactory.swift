import CoreMetrics
import Prometheus

/// swift-metrics on a Prometheus registry, with each metric family's `# HELP` text.
///
/// swift-prometheus 2.4's own `PrometheusMetricsFactory` registers every family with empty
/// help (swift-metrics has no place for it), and its registry stops the process when one
/// family is registered with two different help texts, so help cannot be added beside that
/// factory. This one registers through the registry's `make…(descriptor:labels:)` with the text
/// ``help`` has for the metric's name: the code that records keeps using swift-metrics (the
/// pipeline does not depend on Prometheus, and its tests use swift-metrics' test kit).
///
/// Every duration (a swift-metrics `Timer`) is a histogram in seconds over ``secondsBuckets``.
struct DescribedMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    /// `# HELP` text by metric name; a name missing here gets none.
    let help: [String: String]

    /// 1 ms to 60 s: acknowledgements take milliseconds, replies with the assistant seconds.
    static let secondsBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60),
    ]

    /// The factory for the host's metrics on `registry`, with ``HostMetricsHelp/all``.
    init(registry: PrometheusCollectorRegistry, help: [String: String] = HostMetricsHelp.all) {
        self.registry = registry
        self.help = help
    }

    /// The metric `label` names, with its help text (the name as it is: no namespace or unit added).
    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: help[label] ?? "")
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions,
                                           buckets: Self.secondsBuckets.map { $0 / .seconds(1) })
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: Self.secondsBuckets)
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
    }
}
