import Hummingbird
import Prometheus
import Synchronization

/// Prometheus metrics of one server. Labels are bounded: the route template, method and status, never tenant
/// or request ids (billing-grade usage belongs in the database, not here).
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queued = Mutex(0)

    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }

    func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "yolofuse", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "yolofuse", metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request"),
            labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    func recordInference(_ duration: Duration, images: Int) {
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "yolofuse", metricName: "batch_duration", unitName: "seconds", helpText: "Time of one batched model run, preprocessing and postprocessing included"),
            labels: [], buckets: Self.latencyBuckets
        ).record(duration)
        registry.makeValueHistogram(
            descriptor: .init(namespace: "yolofuse", metricName: "batch", unitName: "images", helpText: "Images per model run"),
            labels: [], buckets: [1, 2, 4, 8, 16, 32]
        ).record(Double(images))
    }

    /// One worker's attempt at a job, by how it ended (succeeded, failed, retry, lease_lost).
    func recordJobAttempt(outcome: String, duration: Duration, units: Int) {
        registry.makeCounter(
            descriptor: .init(namespace: "yolofuse", metricName: "job_attempts", unitName: "total", helpText: "Job attempts by how they ended"),
            labels: [("outcome", outcome)]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "yolofuse", metricName: "job_attempt_duration", unitName: "seconds", helpText: "Time of one attempt at a job"),
            labels: [], buckets: [1, 5, 15, 60, 300, 900, 3600].map { .seconds($0) }
        ).record(duration)
        registry.makeCounter(
            descriptor: .init(namespace: "yolofuse", metricName: "job_pairs", unitName: "total", helpText: "Frame pairs and image pairs detected by jobs"),
            labels: []
        ).increment(by: Int64(units))
    }

    func recordUsageWriteFailure() {
        registry.makeCounter(
            descriptor: .init(namespace: "yolofuse", metricName: "usage_write_failures", unitName: "total",
                              helpText: "Usage events that could not be written after retries"),
            labels: []
        ).increment()
    }

    /// Requests waiting in every model's batcher queue.
    func queueChanged(by delta: Int) {
        let total = queued.withLock { value in
            value += delta
            return value
        }
        registry.makeGauge(
            descriptor: .init(namespace: "yolofuse", metricName: "queue_depth", unitName: "requests",
                              helpText: "Requests waiting for a model run, over all resident models"),
            labels: []
        ).set(Double(total))
    }

    func setModelsResident(_ count: Int) {
        registry.makeGauge(
            descriptor: .init(namespace: "yolofuse", metricName: "models_resident", unitName: "count", helpText: "Models loaded in memory"),
            labels: []
        ).set(Double(count))
    }
}

/// Times every request and counts it by route template, method and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // Unmatched paths share one label value, so scanners cannot grow the label set.
        metrics.recordRequest(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                              status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }
}
