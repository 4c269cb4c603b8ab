import CSQLite
import Dispatch
import Foundation

/// A value bound to, or read from, an SQLite statement.
enum SQLiteValue: Sendable, Equatable {
    case integer(Int64)
    case double(Double)
    case text(String)
    case blob(Data)
    case null

    var int: Int? { if case .integer(let v) = self { Int(v) } else { nil } }
    var double: Double? {
        switch self {
        case .double(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    var string: String? { if case .text(let v) = self { v } else { nil } }
}

/// One row of a result, by column name.
struct SQLiteRow: Sendable {
    let values: [String: SQLiteValue]
    subscript(_ column: String) -> SQLiteValue { values[column] ?? .null }
}

/// A single SQLite connection that owns a serial queue: every statement runs there, off Swift's cooperative
/// pool, and a whole transaction runs as one job, so concurrent callers never interleave inside one.
final class SQLiteConnection: @unchecked Sendable {
    // Only touched on `queue`.
    private var handle: OpaquePointer?
    private let queue: DispatchQueue
    let path: String

    init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws {
        self.path = path
        queue = DispatchQueue(label: "yolofuse.sqlite")
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw StoreError.unavailable("cannot open the SQLite database \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        // WAL lets readers in other processes (a CLI, a second replica on one host) proceed during writes.
        _ = try execute("PRAGMA journal_mode = WAL")
        _ = try execute("PRAGMA synchronous = NORMAL")
        _ = try execute("PRAGMA foreign_keys = ON")
    }

    deinit { sqlite3_close(handle) }

    /// Runs `body` on the connection's queue inside BEGIN IMMEDIATE … COMMIT (rolled back if it throws).
    func transaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    _ = try self.execute("BEGIN IMMEDIATE")
                    do {
                        let value = try body(self)
                        _ = try self.execute("COMMIT")
                        return value
                    } catch {
                        _ = try? self.execute("ROLLBACK")
                        throw error
                    }
                })
            }
        }
    }

    /// Runs one statement and returns its rows. Call only inside `transaction` (or from `init`).
    @discardableResult
    func execute(_ sql: String, _ binds: [SQLiteValue] = []) throws -> [SQLiteRow] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure("prepare", sql)
        }
        defer { sqlite3_finalize(statement) }
        for (index, value) in binds.enumerated() {
            let position = Int32(index + 1)
            let status: Int32
            switch value {
            case .integer(let v): status = sqlite3_bind_int64(statement, position, v)
            case .double(let v): status = sqlite3_bind_double(statement, position, v)
            case .text(let v): status = sqlite3_bind_text(statement, position, v, -1, yolofuse_sqlite_transient())
            case .blob(let v):
                status = v.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), yolofuse_sqlite_transient()) }
            case .null: status = sqlite3_bind_null(statement, position)
            }
            guard status == SQLITE_OK else { throw failure("bind", sql) }
        }
        var rows: [SQLiteRow] = []
        let columns = (0..<sqlite3_column_count(statement)).map { String(cString: sqlite3_column_name(statement, $0)) }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else {
                if sqlite3_errcode(handle) == SQLITE_CONSTRAINT {
                    throw StoreError.conflict(String(cString: sqlite3_errmsg(handle)))
                }
                throw failure("step", sql)
            }
            var values: [String: SQLiteValue] = [:]
            for (index, name) in columns.enumerated() {
                let i = Int32(index)
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: values[name] = .integer(sqlite3_column_int64(statement, i))
                case SQLITE_FLOAT: values[name] = .double(sqlite3_column_double(statement, i))
                case SQLITE_TEXT: values[name] = .text(String(cString: sqlite3_column_text(statement, i)))
                case SQLITE_BLOB:
                    let count = Int(sqlite3_column_bytes(statement, i))
                    values[name] = .blob(count == 0 ? Data() : Data(bytes: sqlite3_column_blob(statement, i), count: count))
                default: values[name] = .null
                }
            }
            rows.append(SQLiteRow(values: values))
        }
        return rows
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    private func failure(_ stage: String, _ sql: String) -> StoreError {
        .unavailable("SQLite \(stage) failed: \(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(80)))")
    }
}
