/// The order in which workers claim due jobs, the same SQL on both databases (the claimed row is `j`).
enum JobClaimOrder {
    /// The tenant served longest ago (or never) first, so one tenant's backlog cannot hold back another's job:
    /// the latest claim, renewal or finish among each tenant's jobs that are not waiting. Ties go oldest first.
    static let tenantLastServed = """
        COALESCE((SELECT MAX(s.updated_at) FROM jobs s WHERE s.tenant_id = j.tenant_id AND s.queue = j.queue AND s.state <> 'queued'), 0)
        """
}
