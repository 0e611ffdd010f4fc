"""The audit log (nhật ký hệ thống): append-only, hash-chained record of every change."""
