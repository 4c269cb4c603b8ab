import Foundation
import Logging
import ServiceLifecycle
import YOLOFuseDetect
import YOLOFuseStore

/// The worker service of `--role worker` and `--role all`: claims jobs from its queue and runs them one at a
/// time (a job's frames already keep every core busy). On graceful shutdown it stops between frames and hands
/// the job back to the queue.
struct JobWorker: Service {
    let store: any StateStore
    let runner: JobRunner
    let settings: JobSettings
    let blobs: BlobStore
    /// Rung by this process's API when it queues a job.
    let signal: JobSignal
    let logger: Logger
    /// Names this worker in leases: host, process and a random part, so restarts never reuse a name.
    let name = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await listen() }
                await work()
                group.cancelAll()
            }
        }
    }

    /// Claims and runs jobs until cancelled; idle, it waits for a wake-up or the poll interval.
    private func work() async {
        var swept = ContinuousClock.now - settings.retentionSweepInterval
        while !Task.isCancelled {
            if ContinuousClock.now - swept >= settings.retentionSweepInterval {
                await removeExpiredJobs()
                swept = ContinuousClock.now
            }
            let now = Date()
            let job: JobRecord?
            do {
                job = try await store.claimJob(queue: settings.queue, worker: name, until: now.addingTimeInterval(settings.lease.milliseconds / 1000), now: now)
            } catch {
                logger.warning("could not claim a job", metadata: ["error": "\(error)"])
                job = nil
            }
            if let job {
                logger.info("job claimed", metadata: ["job": "\(job.id)", "attempt": "\(job.attempts)"])
                await runner.run(job, worker: name)
                continue
            }
            await signal.wait(timeout: settings.pollInterval)
        }
    }

    /// Deletes jobs finished longer ago than the retention, with their files (replicas may race to the same job:
    /// deleting twice is harmless).
    private func removeExpiredJobs() async {
        do {
            let expired = try await store.finishedJobs(before: Date().addingTimeInterval(-settings.retention.milliseconds / 1000), limit: 500)
            for job in expired where try await store.deleteJob(tenant: job.tenantID, id: job.id) != nil {
                blobs.deleteFolder(job.blobPrefix)
            }
            if !expired.isEmpty { logger.info("jobs past their retention deleted", metadata: ["count": "\(expired.count)"]) }
        } catch {
            logger.warning("could not delete jobs past their retention", metadata: ["error": "\(error)"])
        }
    }

    /// Turns the database's announcements of queued jobs (from any instance) into wake-ups. When listening ends
    /// (a dropped connection) it starts again a second later.
    private func listen() async {
        while !Task.isCancelled {
            do {
                try await store.listenForJobs(queue: settings.queue) { signal.notify() }
            } catch {
                if Task.isCancelled { return }
                logger.warning("not listening for queued jobs; polling until it reconnects", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
