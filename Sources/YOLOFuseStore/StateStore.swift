public import Foundation

/// The service's shared state: tenants, keys, model versions, usage and the job queue. SQLite (one process,
/// embedded) and
/// PostgreSQL (replicas) implement it, and one test suite runs against both.
///
/// Methods taking a `tenant` are tenant-scoped: they only ever see that tenant's rows (on PostgreSQL the database
/// enforces it with row-level security too). The others are the control plane: admin calls and authentication.
public protocol StateStore: Sendable {
    /// Brings the schema up to date; safe to run from several replicas at once.
    func migrate() async throws
    /// A cheap round trip, for readiness.
    func ping() async throws
    func close() async

    // Tenants (control plane).
    func createTenant(_ tenant: Tenant) async throws
    func tenant(_ id: UUID) async throws -> Tenant?
    func tenants() async throws -> [Tenant]
    /// Returns false when no such tenant exists.
    func setTenantStatus(_ id: UUID, _ status: Tenant.Status) async throws -> Bool
    /// Deletes the tenant with its keys and model versions; usage events stay for billing.
    func deleteTenant(_ id: UUID) async throws -> Bool

    // Keys.
    func insertKey(_ key: APIKeyRecord) async throws
    /// The key by its public id, with its tenant's status: the one lookup authentication makes.
    func credential(keyID: String) async throws -> KeyCredential?
    func keys(tenant: UUID) async throws -> [APIKeyRecord]
    /// Returns false when the tenant has no such key.
    func revokeKey(tenant: UUID, keyID: String, at: Date) async throws -> Bool

    // Model versions (tenant-scoped).
    /// Inserts a new version numbered one past the tenant's latest of that name.
    func insertModelVersion(_ record: ModelVersionRecord) async throws -> ModelVersionRecord
    func setModelState(tenant: UUID, id: UUID, state: ModelVersionRecord.State, failure: String?) async throws
    func modelVersions(tenant: UUID) async throws -> [ModelVersionRecord]
    func modelVersion(tenant: UUID, id: UUID) async throws -> ModelVersionRecord?
    func activeModelVersion(tenant: UUID) async throws -> ModelVersionRecord?
    /// Makes `id` the tenant's only active version; returns false when the tenant has no such version.
    func activateModelVersion(tenant: UUID, id: UUID, at: Date) async throws -> Bool
    /// Deactivates the tenant's active version (so the default model serves); returns whether one was active.
    func deactivateModels(tenant: UUID) async throws -> Bool
    /// Undoes the last activation: the active version is deactivated and its activation leaves the history, and
    /// the version activated before it serves again (none left: the default model). Returns what is active now;
    /// throws a conflict when nothing is active.
    func rollBack(tenant: UUID, at: Date) async throws -> ModelVersionRecord?
    func deleteModelVersion(tenant: UUID, id: UUID) async throws -> Bool

    // Usage (tenant-scoped).
    /// Returns false when an event with that request id was already recorded.
    func recordUsage(_ event: UsageEvent) async throws -> Bool
    func usageSummary(tenant: UUID, since: Date) async throws -> UsageSummary

    // Jobs: tenant-scoped reads; the queue operations are the workers' (control plane).
    func enqueueJob(_ job: JobRecord) async throws
    func job(tenant: UUID, id: UUID) async throws -> JobRecord?
    /// The tenant's jobs, newest first.
    func jobs(tenant: UUID, limit: Int) async throws -> [JobRecord]
    /// How many of the tenant's jobs are queued or running.
    func activeJobCount(tenant: UUID) async throws -> Int
    /// Jobs of any tenant that finished (succeeded or failed) before `before`, oldest first: what retention removes.
    func finishedJobs(before: Date, limit: Int) async throws -> [JobRecord]
    /// Deletes a job that no worker holds (a queued one is cancelled) and returns it; nil when the tenant has no
    /// such job; throws a conflict while it runs.
    func deleteJob(tenant: UUID, id: UUID) async throws -> JobRecord?
    /// Claims a due job of `queue` (queued and available, or running under a lease that has expired: its worker is
    /// gone), from the tenant served longest ago, oldest first. Jobs of suspended tenants wait until they are
    /// reactivated. The claim counts an attempt and holds the lease until `until`. Expired jobs with no attempts
    /// left are failed on the way. Concurrent claims never return the same job.
    func claimJob(queue: String, worker: String, until: Date, now: Date) async throws -> JobRecord?
    /// Calls `onJob` whenever a job is queued on `queue` by any instance, until cancelled or the connection drops,
    /// so idle workers need not wait for their next poll (SQLite announces nothing and only waits).
    func listenForJobs(queue: String, onJob: @escaping @Sendable () -> Void) async throws
    /// Extends the lease and records progress; false when `worker` no longer holds the job.
    func renewJobLease(id: UUID, worker: String, until: Date, progress: Int, total: Int?) async throws -> Bool
    /// Ends the worker's attempt; false when `worker` no longer holds the job (its result must then be dropped).
    func finishJob(id: UUID, worker: String, outcome: JobOutcome, now: Date) async throws -> Bool
}
