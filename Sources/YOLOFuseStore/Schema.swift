/// Versioned schema migrations, one list per dialect; a store applies those it has not recorded yet, in order,
/// each in its own transaction. Times are seconds since 1970 (double) in both dialects.
enum Schema {
    static let sqlite: [[String]] = [
        [
            "CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL)",
            """
            CREATE TABLE api_keys (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              name TEXT NOT NULL, hash BLOB NOT NULL, created_at REAL NOT NULL, revoked_at REAL)
            """,
            "CREATE INDEX api_keys_tenant ON api_keys(tenant_id)",
            """
            CREATE TABLE model_versions (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              name TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL, failure TEXT, blob_key TEXT NOT NULL,
              size_bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, manifest_json TEXT, active INTEGER NOT NULL DEFAULT 0,
              activated_at REAL, created_at REAL NOT NULL, UNIQUE (tenant_id, name, version))
            """,
            "CREATE UNIQUE INDEX model_versions_one_active ON model_versions(tenant_id) WHERE active = 1",
            """
            CREATE TABLE usage_events (tenant_id TEXT NOT NULL, request_id TEXT NOT NULL, key_id TEXT NOT NULL,
              model_version TEXT NOT NULL, images INTEGER NOT NULL, inference_ms REAL NOT NULL, status INTEGER NOT NULL,
              at REAL NOT NULL, PRIMARY KEY (tenant_id, request_id))
            """,
            "CREATE INDEX usage_events_tenant_at ON usage_events(tenant_id, at)",
        ],
        // Activation history, so a rollback undoes activations in order, repeats included.
        [
            """
            CREATE TABLE model_activations (seq INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id TEXT NOT NULL,
              version_id TEXT NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE, at REAL NOT NULL)
            """,
            "CREATE INDEX model_activations_tenant ON model_activations(tenant_id, seq)",
            """
            INSERT INTO model_activations (tenant_id, version_id, at)
            SELECT tenant_id, id, activated_at FROM model_versions WHERE activated_at IS NOT NULL ORDER BY activated_at
            """,
        ],
        // The job queue.
        [
            """
            CREATE TABLE jobs (id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              key_id TEXT NOT NULL, queue TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL, parameters_json TEXT NOT NULL,
              blob_prefix TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, progress INTEGER NOT NULL,
              total INTEGER, error TEXT, lease_owner TEXT, lease_expires_at REAL, available_at REAL NOT NULL,
              created_at REAL NOT NULL, updated_at REAL NOT NULL, finished_at REAL)
            """,
            "CREATE INDEX jobs_due ON jobs(queue, state, available_at)",
            "CREATE INDEX jobs_tenant ON jobs(tenant_id, created_at)",
        ],
    ]

    /// Row-level security on every tenant-owned table: a row is visible only when the transaction has set
    /// `yolofuse.tenant_id` to its tenant, or `yolofuse.scope` to 'system' (admin calls and key lookup).
    /// FORCE applies the policies to the tables' owner too, which is the role the service connects as.
    static let postgres: [[String]] = [
        [
            "CREATE TABLE tenants (id uuid PRIMARY KEY, name text NOT NULL, status text NOT NULL, created_at double precision NOT NULL)",
            """
            CREATE TABLE api_keys (id text PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              name text NOT NULL, hash bytea NOT NULL, created_at double precision NOT NULL, revoked_at double precision)
            """,
            "CREATE INDEX api_keys_tenant ON api_keys(tenant_id)",
            """
            CREATE TABLE model_versions (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              name text NOT NULL, version integer NOT NULL, state text NOT NULL, failure text, blob_key text NOT NULL,
              size_bytes bigint NOT NULL, sha256 text NOT NULL, manifest_json text, active boolean NOT NULL DEFAULT false,
              activated_at double precision, created_at double precision NOT NULL, UNIQUE (tenant_id, name, version))
            """,
            "CREATE UNIQUE INDEX model_versions_one_active ON model_versions(tenant_id) WHERE active",
            """
            CREATE TABLE usage_events (tenant_id uuid NOT NULL, request_id text NOT NULL, key_id text NOT NULL,
              model_version text NOT NULL, images integer NOT NULL, inference_ms double precision NOT NULL,
              status integer NOT NULL, at double precision NOT NULL, PRIMARY KEY (tenant_id, request_id))
            """,
            "CREATE INDEX usage_events_tenant_at ON usage_events(tenant_id, at)",
        ] + rowLevelSecurity(table: "tenants", column: "id")
          + rowLevelSecurity(table: "api_keys", column: "tenant_id")
          + rowLevelSecurity(table: "model_versions", column: "tenant_id")
          + rowLevelSecurity(table: "usage_events", column: "tenant_id"),
        [
            """
            CREATE TABLE model_activations (seq bigserial PRIMARY KEY, tenant_id uuid NOT NULL,
              version_id uuid NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE, at double precision NOT NULL)
            """,
            "CREATE INDEX model_activations_tenant ON model_activations(tenant_id, seq)",
            """
            INSERT INTO model_activations (tenant_id, version_id, at)
            SELECT tenant_id, id, activated_at FROM model_versions WHERE activated_at IS NOT NULL ORDER BY activated_at
            """,
        ] + rowLevelSecurity(table: "model_activations", column: "tenant_id"),
        [
            """
            CREATE TABLE jobs (id uuid PRIMARY KEY, tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
              key_id text NOT NULL, queue text NOT NULL, kind text NOT NULL, state text NOT NULL, parameters_json text NOT NULL,
              blob_prefix text NOT NULL, attempts integer NOT NULL, max_attempts integer NOT NULL, progress integer NOT NULL,
              total integer, error text, lease_owner text, lease_expires_at double precision,
              available_at double precision NOT NULL, created_at double precision NOT NULL,
              updated_at double precision NOT NULL, finished_at double precision)
            """,
            "CREATE INDEX jobs_due ON jobs(queue, state, available_at)",
            "CREATE INDEX jobs_tenant ON jobs(tenant_id, created_at)",
        ] + rowLevelSecurity(table: "jobs", column: "tenant_id"),
    ]

    private static func rowLevelSecurity(table: String, column: String) -> [String] {
        let visible = """
            (\(column) = nullif(current_setting('yolofuse.tenant_id', true), '')::uuid
             OR current_setting('yolofuse.scope', true) = 'system')
            """
        return [
            "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE \(table) FORCE ROW LEVEL SECURITY",
            "CREATE POLICY tenant_isolation ON \(table) USING \(visible) WITH CHECK \(visible)",
        ]
    }
}
