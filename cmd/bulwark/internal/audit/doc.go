// Package audit is the CSRF auditor behind "bulwark audit URL": it crawls a
// site and replays forged cross-site requests against it.
package audit
