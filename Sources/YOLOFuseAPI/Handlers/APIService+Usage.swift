import Foundation
import Logging
import YOLOFuseStore

/// Metering: one usage event per detection call, keyed by the request id so a retried write counts once.
extension APIService {
    func getUsage(_ input: Operations.GetUsage.Input) async throws -> Operations.GetUsage.Output {
        let caller = try Principal.tenant()
        let since = input.query.since ?? Self.startOfMonth(Date())
        let summary = try await store.usageSummary(tenant: caller.id, since: since)
        return .ok(.init(body: .json(.init(since: since, calls: summary.calls, successfulCalls: summary.successfulCalls,
                                           images: summary.images, inferenceMs: summary.inferenceMilliseconds))))
    }

    /// Writes the event, retrying a failed write a few times; the request id makes retries safe.
    func recordUsage(_ event: UsageEvent) async {
        for attempt in 1...3 {
            do {
                _ = try await store.recordUsage(event)
                return
            } catch {
                if attempt == 3 {
                    metrics.recordUsageWriteFailure()
                    Logger(label: "yolofuse.usage").error("usage event \(event.requestID) not recorded: \(error)")
                } else {
                    try? await Task.sleep(for: .milliseconds(50 * attempt))
                }
            }
        }
    }

    static func startOfMonth(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: calendar.dateComponents([.year, .month], from: date)) ?? date
    }
}
