import Foundation

/// Where every job's files live in the blob store: one folder per job, under its tenant.
enum JobFiles {
    static func prefix(tenant: UUID, job: UUID) -> String {
        "tenants/\(tenant.uuidString.lowercased())/jobs/\(job.uuidString.lowercased())"
    }

    /// The result, one JSON line per pair.
    static func resultKey(_ prefix: String) -> String { prefix + "/result.jsonl" }
}
