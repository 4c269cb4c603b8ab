public import Foundation
import PostgresNIO

/// The job queue on PostgreSQL: workers on any number of replicas claim with FOR UPDATE SKIP LOCKED, so
/// concurrent claims pass over each other's rows instead of waiting on them, and never take one job twice.
/// Queue operations run in the system scope (a worker serves every tenant); reads are tenant-scoped. A queued job
/// is announced with NOTIFY on one channel (the payload names the queue), delivered when its transaction commits.
extension PostgresStore {
    static let jobChannel = "yolofuse_jobs"

    public func enqueueJob(_ job: JobRecord) async throws {
        try await scoped(job.tenantID) { connection in
            try await connection.query("""
                INSERT INTO jobs (id, tenant_id, key_id, queue, kind, state, parameters_json, blob_prefix, attempts, max_attempts,
                  progress, total, error, lease_owner, lease_expires_at, available_at, created_at, updated_at, finished_at)
                VALUES (\(job.id), \(job.tenantID), \(job.keyID), \(job.queue), \(job.kind.rawValue), \(job.state.rawValue),
                        \(job.parametersJSON), \(job.blobPrefix), \(job.attempts), \(job.maxAttempts), \(job.progress), \(job.total),
                        \(job.error), \(job.leaseOwner), \(job.leaseExpiresAt?.timeIntervalSince1970), \(job.availableAt.timeIntervalSince1970),
                        \(job.createdAt.timeIntervalSince1970), \(job.updatedAt.timeIntervalSince1970), \(job.finishedAt?.timeIntervalSince1970))
                """, logger: logger)
            try await connection.query("SELECT pg_notify(\(Self.jobChannel), \(job.queue))", logger: logger)
        }
    }

    public func listenForJobs(queue: String, onJob: @escaping @Sendable () -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.jobChannel) { notifications in
                for try await notification in notifications where notification.payload == queue { onJob() }
            }
        }
    }

    public func job(tenant: UUID, id: UUID) async throws -> JobRecord? {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM jobs WHERE tenant_id = \(tenant) AND id = \(id)").first.map(Self.job)
        }
    }

    public func jobs(tenant: UUID, limit: Int) async throws -> [JobRecord] {
        try await scoped(tenant) { connection in
            try await rows(connection, "SELECT * FROM jobs WHERE tenant_id = \(tenant) ORDER BY created_at DESC, id LIMIT \(limit)").map(Self.job)
        }
    }

    public func activeJobCount(tenant: UUID) async throws -> Int {
        try await scoped(tenant) { connection in
            try await rows(connection, """
                SELECT COUNT(*)::bigint AS n FROM jobs WHERE tenant_id = \(tenant) AND state IN ('queued', 'running')
                """)[0]["n"].decode(Int.self)
        }
    }

    public func finishedJobs(before: Date, limit: Int) async throws -> [JobRecord] {
        try await system { connection in
            try await rows(connection, """
                SELECT * FROM jobs WHERE state IN ('succeeded', 'failed') AND finished_at < \(before.timeIntervalSince1970)
                ORDER BY finished_at LIMIT \(limit)
                """).map(Self.job)
        }
    }

    public func deleteJob(tenant: UUID, id: UUID) async throws -> JobRecord? {
        try await scoped(tenant) { connection in
            if let deleted = try await rows(connection, """
                DELETE FROM jobs WHERE tenant_id = \(tenant) AND id = \(id) AND state != 'running' RETURNING *
                """).first {
                return try Self.job(deleted)
            }
            guard try await rows(connection, "SELECT id FROM jobs WHERE tenant_id = \(tenant) AND id = \(id)").isEmpty else {
                throw StoreError.conflict("the job is running; delete it once it has finished")
            }
            return nil
        }
    }

    public func claimJob(queue: String, worker: String, until: Date, now: Date) async throws -> JobRecord? {
        let now = now.timeIntervalSince1970, until = until.timeIntervalSince1970
        return try await system { connection in
            try await connection.query("""
                UPDATE jobs SET state = 'failed', error = \(jobLeaseLostReason), lease_owner = NULL, finished_at = \(now), updated_at = \(now)
                WHERE queue = \(queue) AND state = 'running' AND lease_expires_at < \(now) AND attempts >= max_attempts
                """, logger: logger)
            return try await rows(connection, """
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = \(worker), lease_expires_at = \(until),
                  updated_at = \(now)
                WHERE id = (SELECT id FROM jobs j WHERE queue = \(queue) AND ((state = 'queued' AND available_at <= \(now))
                              OR (state = 'running' AND lease_expires_at < \(now) AND attempts < max_attempts))
                              AND tenant_id IN (SELECT id FROM tenants WHERE status = 'active')
                            ORDER BY \(unescaped: JobClaimOrder.tenantLastServed), available_at, created_at
                            LIMIT 1 FOR UPDATE OF j SKIP LOCKED)
                RETURNING *
                """).first.map(Self.job)
        }
    }

    public func renewJobLease(id: UUID, worker: String, until: Date, progress: Int, total: Int?) async throws -> Bool {
        try await system { connection in
            try await !rows(connection, """
                UPDATE jobs SET lease_expires_at = \(until.timeIntervalSince1970), progress = \(progress), total = \(total),
                  updated_at = \(Date().timeIntervalSince1970)
                WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker) RETURNING id
                """).isEmpty
        }
    }

    public func finishJob(id: UUID, worker: String, outcome: JobOutcome, now: Date) async throws -> Bool {
        let now = now.timeIntervalSince1970
        return try await system { connection in
            let updated: [PostgresRandomAccessRow]
            switch outcome {
            case .succeeded, .failed:
                // A success keeps the reason an earlier attempt failed.
                let (state, reason): (JobRecord.State, String?) = if case .failed(let reason) = outcome { (.failed, reason) } else { (.succeeded, nil) }
                updated = try await rows(connection, """
                    UPDATE jobs SET state = \(state.rawValue), error = COALESCE(\(reason), error), lease_owner = NULL,
                      finished_at = \(now), updated_at = \(now)
                    WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker) RETURNING id
                    """)
            case .retry(let reason, let at):
                updated = try await rows(connection, """
                    UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                      finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE \(now) END,
                      error = \(reason), available_at = \(at.timeIntervalSince1970), lease_owner = NULL, lease_expires_at = NULL,
                      updated_at = \(now)
                    WHERE id = \(id) AND state = 'running' AND lease_owner = \(worker) RETURNING id
                    """)
            }
            return !updated.isEmpty
        }
    }

    static func job(_ row: PostgresRandomAccessRow) throws -> JobRecord {
        func date(_ column: String) throws -> Date? { try row[column].decode(Double?.self).map(Date.init(timeIntervalSince1970:)) }
        return JobRecord(
            id: try row["id"].decode(UUID.self), tenantID: try row["tenant_id"].decode(UUID.self), keyID: try row["key_id"].decode(String.self),
            queue: try row["queue"].decode(String.self), kind: JobRecord.Kind(rawValue: try row["kind"].decode(String.self)) ?? .video,
            state: JobRecord.State(rawValue: try row["state"].decode(String.self)) ?? .failed,
            parametersJSON: try row["parameters_json"].decode(String.self), blobPrefix: try row["blob_prefix"].decode(String.self),
            attempts: try row["attempts"].decode(Int.self), maxAttempts: try row["max_attempts"].decode(Int.self),
            progress: try row["progress"].decode(Int.self), total: try row["total"].decode(Int?.self), error: try row["error"].decode(String?.self),
            leaseOwner: try row["lease_owner"].decode(String?.self), leaseExpiresAt: try date("lease_expires_at"),
            availableAt: try date("available_at"), createdAt: try date("created_at") ?? Date(), updatedAt: try date("updated_at"),
            finishedAt: try date("finished_at"))
    }
}
