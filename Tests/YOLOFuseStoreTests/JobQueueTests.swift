import Foundation
import Testing
import YOLOFuseStore

/// The durable job queue, on both databases. Each test uses its own queue name: the PostgreSQL database is
/// shared by every suite, and a claim takes any tenant's job of its queue.
@Suite("Job queue on SQLite and PostgreSQL")
struct JobQueueTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    func tenant(_ store: any StateStore) async throws -> Tenant {
        let tenant = Tenant(name: "jobs-\(UUID())")
        try await store.createTenant(tenant)
        return tenant
    }

    func job(_ tenant: Tenant, queue: String, at offset: Double = 0, maxAttempts: Int = 3) -> JobRecord {
        JobRecord(tenantID: tenant.id, keyID: "k1", queue: queue, parametersJSON: #"{"stride": 2}"#,
                  blobPrefix: "tenants/\(tenant.id)/jobs/x", maxAttempts: maxAttempts, createdAt: start.addingTimeInterval(offset))
    }

    @Test(arguments: Backend.allCases)
    func claimRenewFinishInOrder(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store), other = try await tenant(store)
            let queue = "q-\(UUID())"
            let first = job(owner, queue: queue), second = job(owner, queue: queue, at: 1)
            try await store.enqueueJob(second)
            try await store.enqueueJob(first)
            #expect(try await store.activeJobCount(tenant: owner.id) == 2)
            let now = start.addingTimeInterval(5)

            let claimed = try #require(try await store.claimJob(queue: queue, worker: "w1", until: now.addingTimeInterval(30), now: now))
            #expect(claimed.id == first.id)
            #expect(claimed.state == .running && claimed.attempts == 1 && claimed.leaseOwner == "w1")
            #expect(claimed.parametersJSON == first.parametersJSON)
            #expect(try await store.claimJob(queue: queue, worker: "w2", until: now.addingTimeInterval(30), now: now)?.id == second.id)
            #expect(try await store.claimJob(queue: queue, worker: "w3", until: now.addingTimeInterval(30), now: now) == nil)
            #expect(try await store.claimJob(queue: "other-\(UUID())", worker: "w3", until: now, now: now) == nil)

            #expect(try await store.renewJobLease(id: first.id, worker: "w1", until: now.addingTimeInterval(60), progress: 7, total: 20))
            #expect(try await store.renewJobLease(id: first.id, worker: "w2", until: now.addingTimeInterval(60), progress: 9, total: 20) == false)
            let running = try #require(try await store.job(tenant: owner.id, id: first.id))
            #expect(running.progress == 7 && running.total == 20)

            #expect(try await store.finishJob(id: first.id, worker: "w1", outcome: .succeeded, now: now.addingTimeInterval(9)))
            #expect(try await store.finishJob(id: first.id, worker: "w1", outcome: .failed("late"), now: now.addingTimeInterval(9)) == false)
            #expect(try await store.activeJobCount(tenant: owner.id) == 1)
            #expect(try await store.activeJobCount(tenant: other.id) == 0)
            let done = try #require(try await store.job(tenant: owner.id, id: first.id))
            #expect(done.state == .succeeded && done.error == nil && done.leaseOwner == nil)
            #expect(done.finishedAt == now.addingTimeInterval(9))

            // Another tenant sees none of it.
            #expect(try await store.job(tenant: other.id, id: first.id) == nil)
            #expect(try await store.jobs(tenant: other.id, limit: 10).isEmpty)
            #expect(try await store.jobs(tenant: owner.id, limit: 10).map(\.id) == [second.id, first.id])
        }
    }

    @Test(arguments: Backend.allCases)
    func theTenantServedLongestAgoGoesFirst(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let busy = try await tenant(store), newcomer = try await tenant(store)
            let queue = "q-\(UUID())"
            let backlog = (0..<3).map { job(busy, queue: queue, at: Double($0)) }
            for job in backlog { try await store.enqueueJob(job) }
            let late = job(newcomer, queue: queue, at: 10)
            try await store.enqueueJob(late)
            var order: [UUID] = []
            for step in 0..<4 {
                let now = start.addingTimeInterval(20 + Double(step) * 10)
                let claimed = try #require(try await store.claimJob(queue: queue, worker: "w", until: now.addingTimeInterval(5), now: now))
                order.append(claimed.id)
                #expect(try await store.finishJob(id: claimed.id, worker: "w", outcome: .succeeded, now: now.addingTimeInterval(1)))
            }
            // Oldest first while no one has been served; then the newcomer, not the rest of the backlog.
            #expect(order == [backlog[0].id, late.id, backlog[1].id, backlog[2].id])
        }
    }

    @Test(arguments: Backend.allCases)
    func jobsOfASuspendedTenantWaitForItsReactivation(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store)
            let queue = "q-\(UUID())"
            let queued = job(owner, queue: queue)
            try await store.enqueueJob(queued)
            #expect(try await store.setTenantStatus(owner.id, .suspended))
            #expect(try await store.claimJob(queue: queue, worker: "w1", until: start.addingTimeInterval(60), now: start) == nil)
            #expect(try await store.setTenantStatus(owner.id, .active))
            #expect(try await store.claimJob(queue: queue, worker: "w1", until: start.addingTimeInterval(60), now: start)?.id == queued.id)
        }
    }

    @Test(arguments: Backend.allCases)
    func onlyJobsNoWorkerHoldsCanBeDeleted(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store), other = try await tenant(store)
            let queue = "q-\(UUID())"
            let running = job(owner, queue: queue), queued = job(owner, queue: queue, at: 1)
            try await store.enqueueJob(running)
            try await store.enqueueJob(queued)
            _ = try #require(try await store.claimJob(queue: queue, worker: "w1", until: start.addingTimeInterval(60), now: start))
            await #expect(throws: StoreError.self) { try await store.deleteJob(tenant: owner.id, id: running.id) }
            #expect(try await store.deleteJob(tenant: other.id, id: queued.id) == nil)
            #expect(try await store.deleteJob(tenant: owner.id, id: queued.id)?.id == queued.id)
            #expect(try await store.deleteJob(tenant: owner.id, id: queued.id) == nil)
            // The cancelled job is never claimed.
            #expect(try await store.claimJob(queue: queue, worker: "w2", until: start.addingTimeInterval(90), now: start.addingTimeInterval(10)) == nil)
            #expect(try await store.finishJob(id: running.id, worker: "w1", outcome: .succeeded, now: start.addingTimeInterval(20)))
            #expect(try await store.finishedJobs(before: start.addingTimeInterval(21), limit: 1000).contains { $0.id == running.id })
            #expect(try await store.finishedJobs(before: start.addingTimeInterval(19), limit: 1000).contains { $0.id == running.id } == false)
            #expect(try await store.deleteJob(tenant: owner.id, id: running.id)?.state == .succeeded)
            #expect(try await store.jobs(tenant: owner.id, limit: 10).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func concurrentClaimsNeverShareAJob(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store)
            let queue = "q-\(UUID())"
            let jobs = (0..<6).map { job(owner, queue: queue, at: Double($0)) }
            for job in jobs { try await store.enqueueJob(job) }
            let now = start.addingTimeInterval(10)
            let claimed = try await withThrowingTaskGroup(of: UUID?.self) { group in
                for worker in 0..<12 {
                    group.addTask { try await store.claimJob(queue: queue, worker: "w\(worker)", until: now.addingTimeInterval(60), now: now)?.id }
                }
                var ids: [UUID] = []
                for try await id in group { if let id { ids.append(id) } }
                return ids
            }
            #expect(claimed.count == 6)
            #expect(Set(claimed) == Set(jobs.map(\.id)))
        }
    }

    @Test(arguments: Backend.allCases)
    func anExpiredLeaseIsClaimedAgainUntilAttemptsRunOut(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store)
            let queue = "q-\(UUID())"
            let queued = job(owner, queue: queue, maxAttempts: 2)
            try await store.enqueueJob(queued)
            _ = try #require(try await store.claimJob(queue: queue, worker: "w1", until: start.addingTimeInterval(10), now: start))
            // Held: nobody else takes it before the lease runs out.
            #expect(try await store.claimJob(queue: queue, worker: "w2", until: start.addingTimeInterval(20), now: start.addingTimeInterval(5)) == nil)
            let again = try #require(try await store.claimJob(queue: queue, worker: "w2", until: start.addingTimeInterval(21),
                                                              now: start.addingTimeInterval(11)))
            #expect(again.id == queued.id && again.attempts == 2 && again.leaseOwner == "w2")
            // The first worker has lost it: neither its progress nor its result counts.
            #expect(try await store.renewJobLease(id: queued.id, worker: "w1", until: start.addingTimeInterval(40), progress: 1, total: nil) == false)
            #expect(try await store.finishJob(id: queued.id, worker: "w1", outcome: .succeeded, now: start.addingTimeInterval(12)) == false)
            // The second worker dies too: with no attempts left the job fails instead of being claimed a third time.
            #expect(try await store.claimJob(queue: queue, worker: "w3", until: start.addingTimeInterval(60), now: start.addingTimeInterval(30)) == nil)
            let failed = try #require(try await store.job(tenant: owner.id, id: queued.id))
            #expect(failed.state == .failed && failed.error == jobLeaseLostReason && failed.finishedAt != nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func retriesBackOffThenFail(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let owner = try await tenant(store)
            let queue = "q-\(UUID())"
            let queued = job(owner, queue: queue, maxAttempts: 2)
            try await store.enqueueJob(queued)
            _ = try #require(try await store.claimJob(queue: queue, worker: "w1", until: start.addingTimeInterval(60), now: start))
            #expect(try await store.finishJob(id: queued.id, worker: "w1", outcome: .retry("model not loaded", at: start.addingTimeInterval(30)),
                                              now: start.addingTimeInterval(1)))
            let waiting = try #require(try await store.job(tenant: owner.id, id: queued.id))
            #expect(waiting.state == .queued && waiting.error == "model not loaded" && waiting.finishedAt == nil)
            #expect(try await store.claimJob(queue: queue, worker: "w2", until: start.addingTimeInterval(80), now: start.addingTimeInterval(20)) == nil)
            let retried = try #require(try await store.claimJob(queue: queue, worker: "w2", until: start.addingTimeInterval(90),
                                                                now: start.addingTimeInterval(31)))
            #expect(retried.attempts == 2)
            #expect(try await store.finishJob(id: queued.id, worker: "w2", outcome: .retry("still not", at: start.addingTimeInterval(60)),
                                              now: start.addingTimeInterval(32)))
            let failed = try #require(try await store.job(tenant: owner.id, id: queued.id))
            #expect(failed.state == .failed && failed.error == "still not" && failed.finishedAt == start.addingTimeInterval(32))
            #expect(try await store.claimJob(queue: queue, worker: "w3", until: start.addingTimeInterval(200), now: start.addingTimeInterval(100)) == nil)
        }
    }
}
