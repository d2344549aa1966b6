#include "triage/triage_store.h"

namespace secbudget {

Status WithTransaction(TriageStore& store, const std::function<Status()>& fn) {
  SB_RETURN_IF_ERROR(store.Begin());
  Status st = fn();
  if (!st.ok()) {
    Status rb = store.Rollback();
    (void)rb;  // the original error is what the caller needs
    return st;
  }
  return store.Commit();
}

}  // namespace secbudget
