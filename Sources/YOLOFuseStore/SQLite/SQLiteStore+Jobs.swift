public import Foundation

/// The job queue on SQLite. Every transaction begins IMMEDIATE, so a claim (select the oldest due job, then
/// take it) holds the write lock throughout and two claimers, in one process or several, never take one job.
extension SQLiteStore {
    public func enqueueJob(_ job: JobRecord) async throws {
        try await connection.transaction { db in
            try db.execute("""
                INSERT INTO jobs (id, tenant_id, key_id, queue, kind, state, parameters_json, blob_prefix, attempts, max_attempts,
                  progress, total, error, lease_owner, lease_expires_at, available_at, created_at, updated_at, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(job.id.key), .text(job.tenantID.key), .text(job.keyID), .text(job.queue), .text(job.kind.rawValue),
                      .text(job.state.rawValue), .text(job.parametersJSON), .text(job.blobPrefix), .integer(Int64(job.attempts)),
                      .integer(Int64(job.maxAttempts)), .integer(Int64(job.progress)), job.total.map { .integer(Int64($0)) } ?? .null,
                      job.error.map(SQLiteValue.text) ?? .null, job.leaseOwner.map(SQLiteValue.text) ?? .null, .date(job.leaseExpiresAt),
                      .date(job.availableAt), .date(job.createdAt), .date(job.updatedAt), .date(job.finishedAt)])
        }
    }

    public func job(tenant: UUID, id: UUID) async throws -> JobRecord? {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM jobs WHERE tenant_id = ? AND id = ?", [.text(tenant.key), .text(id.key)]).first.map(Self.job)
        }
    }

    public func jobs(tenant: UUID, limit: Int) async throws -> [JobRecord] {
        try await connection.transaction { db in
            try db.execute("SELECT * FROM jobs WHERE tenant_id = ? ORDER BY created_at DESC, id LIMIT ?",
                           [.text(tenant.key), .integer(Int64(limit))]).map(Self.job)
        }
    }

    public func activeJobCount(tenant: UUID) async throws -> Int {
        try await connection.transaction { db in
            try db.execute("SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = ? AND state IN ('queued', 'running')", [.text(tenant.key)])[0]["n"].int ?? 0
        }
    }

    public func finishedJobs(before: Date, limit: Int) async throws -> [JobRecord] {
        try await connection.transaction { db in
            try db.execute("""
                SELECT * FROM jobs WHERE state IN ('succeeded', 'failed') AND finished_at < ? ORDER BY finished_at LIMIT ?
                """, [.date(before), .integer(Int64(limit))]).map(Self.job)
        }
    }

    public func deleteJob(tenant: UUID, id: UUID) async throws -> JobRecord? {
        try await connection.transaction { db in
            let binds: [SQLiteValue] = [.text(tenant.key), .text(id.key)]
            if let deleted = try db.execute("DELETE FROM jobs WHERE tenant_id = ? AND id = ? AND state != 'running' RETURNING *", binds).first {
                return Self.job(deleted)
            }
            guard try db.execute("SELECT id FROM jobs WHERE tenant_id = ? AND id = ?", binds).isEmpty else {
                throw StoreError.conflict("the job is running; delete it once it has finished")
            }
            return nil
        }
    }

    public func claimJob(queue: String, worker: String, until: Date, now: Date) async throws -> JobRecord? {
        try await connection.transaction { db in
            try db.execute("""
                UPDATE jobs SET state = 'failed', error = ?, lease_owner = NULL, finished_at = ?, updated_at = ?
                WHERE queue = ? AND state = 'running' AND lease_expires_at < ? AND attempts >= max_attempts
                """, [.text(jobLeaseLostReason), .date(now), .date(now), .text(queue), .date(now)])
            guard let id = try db.execute("""
                SELECT id FROM jobs j WHERE queue = ? AND ((state = 'queued' AND available_at <= ?)
                  OR (state = 'running' AND lease_expires_at < ? AND attempts < max_attempts))
                  AND tenant_id IN (SELECT id FROM tenants WHERE status = 'active')
                ORDER BY \(JobClaimOrder.tenantLastServed), available_at, created_at LIMIT 1
                """, [.text(queue), .date(now), .date(now)]).first?["id"] else { return nil }
            return try db.execute("""
                UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_expires_at = ?, updated_at = ?
                WHERE id = ? RETURNING *
                """, [.text(worker), .date(until), .date(now), id]).first.map(Self.job)
        }
    }

    /// SQLite announces nothing (one process: its API wakes its own worker): this only waits to be cancelled.
    public func listenForJobs(queue: String, onJob: @escaping @Sendable () -> Void) async throws {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    public func renewJobLease(id: UUID, worker: String, until: Date, progress: Int, total: Int?) async throws -> Bool {
        try await connection.transaction { db in
            try db.execute("""
                UPDATE jobs SET lease_expires_at = ?, progress = ?, total = ?, updated_at = ?
                WHERE id = ? AND state = 'running' AND lease_owner = ?
                """, [.date(until), .integer(Int64(progress)), total.map { .integer(Int64($0)) } ?? .null, .date(Date()),
                      .text(id.key), .text(worker)])
            return db.changes > 0
        }
    }

    public func finishJob(id: UUID, worker: String, outcome: JobOutcome, now: Date) async throws -> Bool {
        try await connection.transaction { db in
            let held = "id = ? AND state = 'running' AND lease_owner = ?"
            switch outcome {
            case .succeeded, .failed:
                // A success keeps the reason an earlier attempt failed.
                let (state, reason): (JobRecord.State, String?) = if case .failed(let reason) = outcome { (.failed, reason) } else { (.succeeded, nil) }
                try db.execute("UPDATE jobs SET state = ?, error = COALESCE(?, error), lease_owner = NULL, finished_at = ?, updated_at = ? WHERE \(held)",
                               [.text(state.rawValue), reason.map(SQLiteValue.text) ?? .null, .date(now), .date(now), .text(id.key), .text(worker)])
            case .retry(let reason, let at):
                try db.execute("""
                    UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                      finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE ? END,
                      error = ?, available_at = ?, lease_owner = NULL, lease_expires_at = NULL, updated_at = ? WHERE \(held)
                    """, [.date(now), .text(reason), .date(at), .date(now), .text(id.key), .text(worker)])
            }
            return db.changes > 0
        }
    }

    static func job(_ row: SQLiteRow) -> JobRecord {
        JobRecord(
            id: UUID(uuidString: row["id"].string ?? "") ?? UUID(), tenantID: UUID(uuidString: row["tenant_id"].string ?? "") ?? UUID(),
            keyID: row["key_id"].string ?? "", queue: row["queue"].string ?? "",
            kind: JobRecord.Kind(rawValue: row["kind"].string ?? "") ?? .video,
            state: JobRecord.State(rawValue: row["state"].string ?? "") ?? .failed,
            parametersJSON: row["parameters_json"].string ?? "{}", blobPrefix: row["blob_prefix"].string ?? "",
            attempts: row["attempts"].int ?? 0, maxAttempts: row["max_attempts"].int ?? 0, progress: row["progress"].int ?? 0,
            total: row["total"].int, error: row["error"].string, leaseOwner: row["lease_owner"].string,
            leaseExpiresAt: row["lease_expires_at"].date, availableAt: row["available_at"].date,
            createdAt: row["created_at"].date ?? Date(), updatedAt: row["updated_at"].date, finishedAt: row["finished_at"].date)
    }
}
