#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: the bound text or blob is copied by SQLite.
static inline sqlite3_destructor_type yolofuse_sqlite_transient(void) { return SQLITE_TRANSIENT; }
