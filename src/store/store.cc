#include "store/store.h"

#include "common/strings.h"
#include "store/sqlite/sqlite_store.h"

namespace secbudget {

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& location) {
  if (StartsWith(location, "postgres://") || StartsWith(location, "postgresql://")) {
    return Status::InvalidArgument("the PostgreSQL store is not available in this build; use a SQLite file");
  }
  std::string path = location;
  if (StartsWith(path, "sqlite:")) path = path.substr(7);
  return OpenSqliteStore(path);
}

}  // namespace secbudget
