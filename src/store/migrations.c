/*
 * Schema migrations (over 600 lines: every schema version, in order; the
 * list only grows, and each entry is read beside its neighbours). SQL here stays in the subset SQLite and PostgreSQL share
 * where it can; times are INTEGER unix seconds (UTC); public ids are TEXT.
 * Sets of keys (modules, grants, role permissions) are stored as one
 * space-separated TEXT value: they are always read and written whole, and the
 * catalog validates every key.
 *
 * Triggers bump meta.generation whenever anything a permission check depends
 * on changes, so every process sharing the database (the CLI, other nodes)
 * notices and recompiles its in-memory authorization state.
 */
#include "store/migrations.h"

#include <stddef.h>

#define GEN_BUMP "UPDATE meta SET value = value + 1 WHERE key = 'generation';"
/* Logs what a bump was for (migration 20): kind 'user' or 'role'. */
#define CHANGE(kind, org, id) \
    " INSERT INTO authz_changes (gen, kind, org_id, id) SELECT value, '" kind "', " org ", " id \
    " FROM meta WHERE key = 'generation';"

static const char *const migrations[] = {
    /* 1: organizations, roles, users, sessions, single-use tokens, outbox,
     *    audit trail, API keys */
    "INSERT INTO meta(key, value) VALUES ('generation', 1) ON CONFLICT(key) DO NOTHING;"

    "CREATE TABLE orgs ("
    " id TEXT PRIMARY KEY,"
    " slug TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " template TEXT NOT NULL,"
    " modules TEXT NOT NULL DEFAULT '',"
    " addons TEXT NOT NULL DEFAULT '',"
    " seats_office INTEGER,"
    " seats_factory INTEGER,"
    " session_idle_s INTEGER NOT NULL DEFAULT 1800,"
    " session_max_s INTEGER NOT NULL DEFAULT 43200,"
    " invite_ttl_s INTEGER NOT NULL DEFAULT 604800,"
    " single_task_checkin INTEGER NOT NULL DEFAULT 1,"
    " kiosk_pin_min INTEGER NOT NULL DEFAULT 6,"
    " kiosk_enrolled_devices_only INTEGER NOT NULL DEFAULT 0,"
    " kiosk_idle_s INTEGER NOT NULL DEFAULT 120,"
    " kiosk_session_s INTEGER NOT NULL DEFAULT 43200,"
    " created_at INTEGER NOT NULL);"

    "CREATE TABLE roles ("
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " permissions TEXT NOT NULL DEFAULT '',"
    " device INTEGER NOT NULL DEFAULT 0,"
    " from_template INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (org_id, key));"

    "CREATE TABLE users ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " email TEXT,"
    " email_norm TEXT,"
    " name TEXT NOT NULL,"
    " mobile TEXT NOT NULL DEFAULT '',"
    " role_key TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked')),"
    " email_verified INTEGER NOT NULL DEFAULT 0,"
    " office_access INTEGER NOT NULL DEFAULT 1,"
    " factory_access INTEGER NOT NULL DEFAULT 0,"
    " password_hash TEXT,"
    " modules TEXT,"
    " grants TEXT NOT NULL DEFAULT '',"
    " badge TEXT,"
    " badge_norm TEXT,"
    " pin_hash TEXT,"
    " pin_temporary INTEGER NOT NULL DEFAULT 0,"
    " pin_failures INTEGER NOT NULL DEFAULT 0,"
    " pin_blocked INTEGER NOT NULL DEFAULT 0,"
    " checkin_exempt INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " last_login_at INTEGER,"
    " FOREIGN KEY (org_id, role_key) REFERENCES roles(org_id, key));"
    "CREATE UNIQUE INDEX users_email ON users(org_id, email_norm) WHERE email_norm IS NOT NULL;"
    "CREATE UNIQUE INDEX users_badge ON users(org_id, badge_norm) WHERE badge_norm IS NOT NULL;"
    "CREATE INDEX users_org_name ON users(org_id, name, id);"
    "CREATE INDEX users_org_role ON users(org_id, role_key);"

    "CREATE TABLE sessions ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " csrf_hash TEXT NOT NULL,"
    " kind TEXT NOT NULL DEFAULT 'office' CHECK (kind IN ('office', 'kiosk')),"
    " created_at INTEGER NOT NULL,"
    " last_seen_at INTEGER NOT NULL,"
    " idle_s INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " ip TEXT NOT NULL DEFAULT '',"
    " user_agent TEXT NOT NULL DEFAULT '',"
    " device_id TEXT,"
    " pin_change_required INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX sessions_user ON sessions(user_id);"

    "CREATE TABLE tokens ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT REFERENCES users(id) ON DELETE CASCADE,"
    " purpose TEXT NOT NULL,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " email TEXT,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " used_at INTEGER);"
    "CREATE INDEX tokens_user ON tokens(user_id, purpose);"

    "CREATE TABLE outbox ("
    " id TEXT PRIMARY KEY,"
    " seq INTEGER NOT NULL,"
    " org_id TEXT,"
    " kind TEXT NOT NULL,"
    " to_addr TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " link TEXT,"
    " created_at INTEGER NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'pending',"
    " sent_at INTEGER);"
    "CREATE INDEX outbox_seq ON outbox(seq);"

    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " org_id TEXT,"
    " at INTEGER NOT NULL,"
    " actor_type TEXT NOT NULL,"
    " actor_id TEXT,"
    " action TEXT NOT NULL,"
    " target_type TEXT,"
    " target_id TEXT,"
    " ip TEXT NOT NULL DEFAULT '',"
    " request_id TEXT NOT NULL DEFAULT '',"
    " detail TEXT NOT NULL DEFAULT '{}');"
    "CREATE INDEX audit_org ON audit(org_id, seq);"
    "CREATE INDEX audit_org_actor ON audit(org_id, actor_id, seq);"
    "CREATE INDEX audit_org_action ON audit(org_id, action, seq);"
    "CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"

    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " key_hash TEXT NOT NULL UNIQUE,"
    " prefix TEXT NOT NULL,"
    " created_by TEXT,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER,"
    " last_used_at INTEGER);"

    "CREATE TRIGGER gen_orgs_i AFTER INSERT ON orgs BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_orgs_u AFTER UPDATE OF modules, addons ON orgs BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_orgs_d AFTER DELETE ON orgs BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_roles_i AFTER INSERT ON roles BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_roles_u AFTER UPDATE ON roles BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_roles_d AFTER DELETE ON roles BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_users_i AFTER INSERT ON users BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_users_u AFTER UPDATE OF role_key, status, modules, grants, office_access,"
    " factory_access ON users BEGIN " GEN_BUMP " END;"
    "CREATE TRIGGER gen_users_d AFTER DELETE ON users BEGIN " GEN_BUMP " END;",

    /* 2 (issue 4): invitations. One pending invitation per email and org; the
     *    link's token is stored only as a hash and replaced on resend. No
     *    generation trigger: an invitation grants nothing until accepted. */
    "CREATE TABLE invites ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " email TEXT NOT NULL,"
    " email_norm TEXT NOT NULL,"
    " role_key TEXT NOT NULL,"
    " invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),"
    " created_at INTEGER NOT NULL,"
    " sent_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " accepted_at INTEGER,"
    " cancelled_at INTEGER,"
    " user_id TEXT REFERENCES users(id) ON DELETE SET NULL);"
    "CREATE UNIQUE INDEX invites_pending_email ON invites(org_id, email_norm) WHERE status = 'pending';"
    "CREATE INDEX invites_org_status ON invites(org_id, status, created_at, id);"
    "CREATE INDEX invites_invited_by ON invites(invited_by);" /* ON DELETE SET NULL lookups */
    "CREATE INDEX invites_user ON invites(user_id);",

    /* 3: user groups and saved views (view templates, dashboards) shared
     *    with groups. Composite foreign keys on (org_id, id) make a
     *    cross-organization membership or share impossible in the schema
     *    itself. Nothing here changes a permission check (views are read
     *    from the database on every request), so no generation triggers.
     *    A deleted user's personal views go with them; views they shared
     *    stay for their groups, with owner_id NULL. */
    "CREATE UNIQUE INDEX users_org_id ON users(org_id, id);"

    "CREATE TABLE groups ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " name_norm TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (org_id, id));"
    "CREATE UNIQUE INDEX groups_org_name ON groups(org_id, name_norm);"

    "CREATE TABLE group_members ("
    " org_id TEXT NOT NULL,"
    " group_id TEXT NOT NULL,"
    " user_id TEXT NOT NULL,"
    " added_at INTEGER NOT NULL,"
    " added_by TEXT,"
    " PRIMARY KEY (group_id, user_id),"
    " FOREIGN KEY (org_id, group_id) REFERENCES groups(org_id, id) ON DELETE CASCADE,"
    " FOREIGN KEY (org_id, user_id) REFERENCES users(org_id, id) ON DELETE CASCADE);"
    "CREATE INDEX group_members_user ON group_members(org_id, user_id);"

    "CREATE TABLE views ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " owner_id TEXT REFERENCES users(id) ON DELETE SET NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('template', 'dashboard')),"
    " name TEXT NOT NULL,"
    " config TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (org_id, id));"
    "CREATE INDEX views_owner ON views(org_id, owner_id);"

    "CREATE TABLE view_shares ("
    " org_id TEXT NOT NULL,"
    " view_id TEXT NOT NULL,"
    " group_id TEXT NOT NULL,"
    " shared_by TEXT,"
    " shared_at INTEGER NOT NULL,"
    " PRIMARY KEY (view_id, group_id),"
    " FOREIGN KEY (org_id, view_id) REFERENCES views(org_id, id) ON DELETE CASCADE,"
    " FOREIGN KEY (org_id, group_id) REFERENCES groups(org_id, id) ON DELETE CASCADE);"
    "CREATE INDEX view_shares_group ON view_shares(group_id);"

    /* Runs before the row goes (and before owner_id is set NULL). */
    "CREATE TRIGGER views_drop_personal BEFORE DELETE ON users BEGIN"
    " DELETE FROM views WHERE owner_id = OLD.id"
    " AND NOT EXISTS (SELECT 1 FROM view_shares s WHERE s.view_id = views.id); END;",

    /* 4 (issue 6, shop floor): kiosk devices, tasks and their assignees,
     * agenda screens, check-ins (time records) and per-user activity.
     * checkins.single_task marks a check-in opened under the single-task limit:
     * the partial unique index then backs the transaction's own check, so
     * two open limited check-ins of one user cannot exist. None of these
     * tables affects permission checks (no generation triggers). */
    "CREATE TABLE kiosk_devices ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " token_hash TEXT NOT NULL UNIQUE,"
    " created_by TEXT,"
    " created_at INTEGER NOT NULL,"
    " last_used_at INTEGER);"
    "CREATE INDEX kiosk_devices_org ON kiosk_devices(org_id, created_at);"
    "CREATE INDEX sessions_device ON sessions(device_id) WHERE device_id IS NOT NULL;"

    "CREATE TABLE tasks ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " ref TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " order_ref TEXT,"
    " due_at INTEGER,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),"
    " created_at INTEGER NOT NULL,"
    " created_by TEXT,"
    " completed_at INTEGER,"
    " completed_by TEXT,"
    " UNIQUE (org_id, ref));"
    "CREATE INDEX tasks_org_order ON tasks(org_id, order_ref);"

    "CREATE TABLE task_assignees ("
    " task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " PRIMARY KEY (task_id, user_id));"
    "CREATE INDEX task_assignees_user ON task_assignees(user_id);"

    "CREATE TABLE screens ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX screens_org ON screens(org_id, name);"
    "CREATE TABLE screen_tasks ("
    " screen_id TEXT NOT NULL REFERENCES screens(id) ON DELETE CASCADE,"
    " task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    " PRIMARY KEY (screen_id, task_id));"
    "CREATE INDEX screen_tasks_task ON screen_tasks(task_id);"
    "CREATE TABLE screen_members ("
    " screen_id TEXT NOT NULL REFERENCES screens(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " PRIMARY KEY (screen_id, user_id));"
    "CREATE INDEX screen_members_user ON screen_members(user_id);"

    "CREATE TABLE checkins ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    " started_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paused', 'complete', 'error')),"
    " note TEXT,"
    " single_task INTEGER NOT NULL DEFAULT 0,"
    " created_by TEXT,"
    " ended_by TEXT,"
    " CHECK ((ended_at IS NULL) = (status = 'open')));"
    "CREATE UNIQUE INDEX checkins_single_open ON checkins(user_id) WHERE ended_at IS NULL AND single_task = 1;"
    "CREATE UNIQUE INDEX checkins_task_open ON checkins(user_id, task_id) WHERE ended_at IS NULL;"
    "CREATE INDEX checkins_user_time ON checkins(org_id, user_id, started_at);"

    "CREATE TABLE activity ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " type TEXT NOT NULL CHECK (type IN ('form_submission', 'order_event', 'asset_event', 'checkin')),"
    " ref TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '{}',"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX activity_user_time ON activity(org_id, user_id, at, seq);",

    /* 5 (issue 6, 000 "assigning users to orders and tasks"): a person
     * assigned to an order is assigned to every task with that order_ref,
     * those that exist and those created later. Orders are the embedding
     * product's; gatehouse knows them only by reference. */
    "CREATE TABLE order_assignees ("
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " order_ref TEXT NOT NULL,"
    " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " PRIMARY KEY (org_id, order_ref, user_id));"
    "CREATE INDEX order_assignees_user ON order_assignees(user_id);",

    /* 6 (001, 003: IT Operations > IP addresses): the networks an org's
     * people may sign in and work from, as space-separated canonical CIDRs;
     * empty allows any address. A change reaches every server's snapshot
     * like a module change. */
    "ALTER TABLE orgs ADD COLUMN ip_allowlist TEXT NOT NULL DEFAULT '';"
    "CREATE TRIGGER gen_orgs_ip AFTER UPDATE OF ip_allowlist ON orgs BEGIN " GEN_BUMP " END;",

    /* 7 (issue 11 item 6):
     * deleting a person keeps the plant's records. Check-ins (time records)
     * and activity no longer go with the users row: both tables are rebuilt
     * without the cascading foreign key to users, and the person leaves a
     * tombstone (id, name as it was or "deleted user", when) that lists and
     * timesheets are attributed to. A tombstone is not a user: it cannot
     * sign in, be checked or take a seat. orgs.erase_deleted_names is the
     * org's choice to keep no names of deleted people. The audit trail is
     * never touched. */
    "CREATE TABLE user_tombstones ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " name_erased INTEGER NOT NULL DEFAULT 0,"
    " deleted_at INTEGER NOT NULL,"
    " deleted_by TEXT);"
    "CREATE INDEX user_tombstones_org ON user_tombstones(org_id, id);"
    "ALTER TABLE orgs ADD COLUMN erase_deleted_names INTEGER NOT NULL DEFAULT 0;"

    "CREATE TABLE checkins_kept ("
    " id TEXT PRIMARY KEY,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL,"
    " task_id TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,"
    " started_at INTEGER NOT NULL,"
    " ended_at INTEGER,"
    " status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paused', 'complete', 'error')),"
    " note TEXT,"
    " single_task INTEGER NOT NULL DEFAULT 0,"
    " created_by TEXT,"
    " ended_by TEXT,"
    " CHECK ((ended_at IS NULL) = (status = 'open')));"
    "INSERT INTO checkins_kept SELECT id, org_id, user_id, task_id, started_at, ended_at, status, note,"
    " single_task, created_by, ended_by FROM checkins;"
    "DROP TABLE checkins;"
    "ALTER TABLE checkins_kept RENAME TO checkins;"
    "CREATE UNIQUE INDEX checkins_single_open ON checkins(user_id) WHERE ended_at IS NULL AND single_task = 1;"
    "CREATE UNIQUE INDEX checkins_task_open ON checkins(user_id, task_id) WHERE ended_at IS NULL;"
    "CREATE INDEX checkins_user_time ON checkins(org_id, user_id, started_at);"

    "CREATE TABLE activity_kept ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
    " user_id TEXT NOT NULL,"
    " type TEXT NOT NULL CHECK (type IN ('form_submission', 'order_event', 'asset_event', 'checkin')),"
    " ref TEXT NOT NULL,"
    " at INTEGER NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '{}',"
    " created_at INTEGER NOT NULL);"
    "INSERT INTO activity_kept SELECT seq, id, org_id, user_id, type, ref, at, detail, created_at FROM activity;"
    "DROP TABLE activity;"
    "ALTER TABLE activity_kept RENAME TO activity;"
    "CREATE INDEX activity_user_time ON activity(org_id, user_id, at, seq);"

    /* (same slice) Lists in name order sort as people read (util.h
     * gh_name_sort_key: case-insensitive, by code point, numbers by value),
     * not by bytes. Users, the list that grows to 100,000, keep the key in
     * a column with a plain index, so paging stays an index walk; shorter
     * lists sort with the gh_name collation. */
    "ALTER TABLE users ADD COLUMN name_sort TEXT NOT NULL DEFAULT '';"
    "UPDATE users SET name_sort = gh_name_key(name);"
    "DROP INDEX users_org_name;"
    "CREATE INDEX users_org_name ON users(org_id, name_sort, id);",

    /* 8 (issue 12): the generation moves only when a value
     * a check depends on changes. "UPDATE OF col" fires whenever the UPDATE
     * names the column, and the store writes whole rows, so a changed
     * mobile number or role description rebuilt every snapshot. */
    "DROP TRIGGER gen_users_u;"
    "CREATE TRIGGER gen_users_u AFTER UPDATE ON users WHEN"
    " OLD.org_id IS NOT NEW.org_id OR OLD.role_key IS NOT NEW.role_key OR OLD.status IS NOT NEW.status"
    " OR OLD.modules IS NOT NEW.modules OR OLD.grants IS NOT NEW.grants"
    " OR OLD.office_access IS NOT NEW.office_access OR OLD.factory_access IS NOT NEW.factory_access"
    " BEGIN " GEN_BUMP " END;"
    "DROP TRIGGER gen_roles_u;"
    "CREATE TRIGGER gen_roles_u AFTER UPDATE ON roles WHEN"
    " OLD.org_id IS NOT NEW.org_id OR OLD.key IS NOT NEW.key OR OLD.permissions IS NOT NEW.permissions"
    " OR OLD.device IS NOT NEW.device"
    " BEGIN " GEN_BUMP " END;"
    "DROP TRIGGER gen_orgs_u;"
    "CREATE TRIGGER gen_orgs_u AFTER UPDATE ON orgs WHEN"
    " OLD.modules IS NOT NEW.modules OR OLD.addons IS NOT NEW.addons"
    " BEGIN " GEN_BUMP " END;"
    "DROP TRIGGER gen_orgs_ip;"
    "CREATE TRIGGER gen_orgs_ip AFTER UPDATE ON orgs WHEN OLD.ip_allowlist IS NOT NEW.ip_allowlist"
    " BEGIN " GEN_BUMP " END;",

    /* 9 (issue 11): API keys carry scopes, space-separated:
     * service scopes (authz.check, activity.write, tasks.write, scim) and
     * catalog permission keys. A new key gets what its creator names, by
     * default authz.check. Keys made before this migration could call every
     * route open to keys, so they get exactly the scopes those routes now
     * need and keep working: authz.check (check, catalog, org, roles,
     * groups), activity.write (recording and reading activity), tasks.write
     * (tasks, orders, screens, check-ins, timesheets) and users.view (users,
     * invitations, audit trail, permissions). An administrator narrows one
     * by creating a new key and revoking the old. */
    ("ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'authz.check';"
     "UPDATE api_keys SET scopes = 'authz.check activity.write tasks.write users.view';"),

    /* 10 (issue 16): company sign-in. One SSO configuration per org: the
     * protocol, the settings as JSON (no secret in it), the client secret
     * sealed by core/secretbox.c with its key id beside it, the policy
     * (required, break-glass user ids space-separated) and the last test's
     * outcome. identities links people to outside identities by (issuer,
     * subject) for OIDC, (entity id, NameID) for SAML, (client, externalId)
     * for provisioning: after the first link an e-mail never links again. */
    ("CREATE TABLE org_sso ("
     " org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,"
     " protocol TEXT NOT NULL CHECK (protocol IN ('oidc', 'saml')),"
     " config TEXT NOT NULL,"
     " client_secret TEXT NOT NULL DEFAULT '',"
     " secret_kid TEXT NOT NULL DEFAULT '',"
     " required INTEGER NOT NULL DEFAULT 0,"
     " break_glass TEXT NOT NULL DEFAULT '',"
     " last_test_at INTEGER NOT NULL DEFAULT 0,"
     " last_error TEXT NOT NULL DEFAULT '',"
     " created_at INTEGER NOT NULL,"
     " updated_at INTEGER NOT NULL);"
     "CREATE TABLE identities ("
     " id TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     " kind TEXT NOT NULL CHECK (kind IN ('oidc', 'saml', 'scim')),"
     " issuer TEXT NOT NULL,"
     " subject TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " last_used_at INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE (org_id, kind, issuer, subject));"
     "CREATE INDEX identities_user ON identities(org_id, user_id);"
     /* An OIDC sign-in in progress: the state is stored as its hash, the
      * PKCE verifier sealed (the nonce is derived from it); single use,
      * ten minutes. */
     "CREATE TABLE sso_states ("
     " state_hash TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " verifier TEXT NOT NULL,"
     " purpose TEXT NOT NULL DEFAULT 'login',"
     " user_id TEXT NOT NULL DEFAULT '',"
     " created_at INTEGER NOT NULL,"
     " expires_at INTEGER NOT NULL,"
     " used_at INTEGER NOT NULL DEFAULT 0,"
     " proved_at INTEGER NOT NULL DEFAULT 0);"),

    /* 11 (issue 15): the delivery outbox. Mails are 'queued' (was 'pending'),
     * claimed with a lease ('sending', lease_until) by exactly one process,
     * then 'sent', 'deferred' (next_attempt_at, last_error) or 'failed';
     * 'logged' when no SMTP is configured. html is the HTML part;
     * link_expires_at is when the link in the mail stops working (after it,
     * or once sent, the token is scrubbed from body, html and link). */
    ("ALTER TABLE outbox ADD COLUMN html TEXT;"
     "ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE outbox ADD COLUMN last_error TEXT;"
     "ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE outbox ADD COLUMN link_expires_at INTEGER;"
     "ALTER TABLE outbox ADD COLUMN scrubbed INTEGER NOT NULL DEFAULT 0;"
     "UPDATE outbox SET status = 'queued' WHERE status = 'pending';"
     "CREATE INDEX outbox_due ON outbox(status, next_attempt_at);"),

    /* 12: second factors. mfa_factors holds a person's factors
     * (kind totp now, webauthn next): the TOTP secret sealed by
     * core/secretbox.c with its key id beside it, confirmed once a first code
     * was given, and the last accepted time step (no code is accepted twice).
     * mfa_recovery_codes holds keyed hashes of the single-use recovery codes
     * (used_at 0 = unused). org_mfa is the policy per org: optional,
     * privileged (holders of users.manage or it.operations) or all office
     * users, and whether an IdP's assertion of MFA (amr "mfa", or the acr
     * named) counts. sessions.mfa_pending marks a sign-in that has passed its
     * first step only: 'verify' (a factor must be given) or 'enrol' (one must
     * be set up); such a session can do nothing else (http/server.c). */
    ("CREATE TABLE mfa_factors ("
     " id TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     " kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn')),"
     " label TEXT NOT NULL DEFAULT '',"
     " secret TEXT NOT NULL DEFAULT '',"
     " secret_kid TEXT NOT NULL DEFAULT '',"
     " confirmed INTEGER NOT NULL DEFAULT 0,"
     " last_step INTEGER NOT NULL DEFAULT 0,"
     " created_at INTEGER NOT NULL,"
     " last_used_at INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX mfa_factors_user ON mfa_factors(org_id, user_id);"
     "CREATE TABLE mfa_recovery_codes ("
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     " code_hash TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " used_at INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (user_id, code_hash));"
     "CREATE TABLE org_mfa ("
     " org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,"
     " policy TEXT NOT NULL DEFAULT 'optional' CHECK (policy IN ('optional', 'privileged', 'all')),"
     " sso_counts INTEGER NOT NULL DEFAULT 0,"
     " sso_acr TEXT NOT NULL DEFAULT '',"
     " updated_at INTEGER NOT NULL);"
     "ALTER TABLE sessions ADD COLUMN mfa_pending TEXT NOT NULL DEFAULT '';"),
    /* 13: what a SCIM provisioning client keeps on a person
     * beyond gatehouse's own columns (store/scim.h). */
    ("CREATE TABLE scim_users ("
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
     " external_id TEXT NOT NULL DEFAULT '',"
     " title TEXT NOT NULL DEFAULT '',"
     " given_name TEXT NOT NULL DEFAULT '',"
     " family_name TEXT NOT NULL DEFAULT '',"
     " employee_number TEXT NOT NULL DEFAULT '',"
     " department TEXT NOT NULL DEFAULT '',"
     " manager_id TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX scim_users_org ON scim_users(org_id);"),
    /* 14: search served by an index. search_key is the folded
     * (case- and accent-insensitive, util.h gh_search_key) name, e-mail and
     * badge, written by the store; users_search indexes it with FTS5's
     * trigram tokenizer for substring matches. Its rowids come from
     * user_search_ids (an INTEGER PRIMARY KEY, which VACUUM keeps, unlike
     * the users table's implicit rowid); triggers keep both in step with
     * users. name_sort is recomputed: the name order now ignores accents. */
    ("ALTER TABLE users ADD COLUMN search_key TEXT NOT NULL DEFAULT '';"
     "UPDATE users SET search_key = gh_search_key(name, email, badge), name_sort = gh_name_key(name);"
     "CREATE TABLE user_search_ids (rid INTEGER PRIMARY KEY, user_id TEXT NOT NULL UNIQUE);"
     "CREATE VIRTUAL TABLE users_search USING fts5(k, oid UNINDEXED, tokenize = 'trigram');"
     "INSERT INTO user_search_ids (user_id) SELECT id FROM users ORDER BY org_id, name_sort;"
     "INSERT INTO users_search (rowid, k, oid)"
     " SELECT m.rid, u.search_key, u.org_id FROM user_search_ids m JOIN users u ON u.id = m.user_id;"
     "CREATE TRIGGER users_search_ins AFTER INSERT ON users BEGIN"
     " INSERT INTO user_search_ids (user_id) VALUES (new.id);"
     " INSERT INTO users_search (rowid, k, oid)"
     "  VALUES ((SELECT rid FROM user_search_ids WHERE user_id = new.id), new.search_key, new.org_id);"
     " END;"
     "CREATE TRIGGER users_search_upd AFTER UPDATE OF search_key ON users"
     " WHEN old.search_key IS NOT new.search_key BEGIN"
     " UPDATE users_search SET k = new.search_key"
     "  WHERE rowid = (SELECT rid FROM user_search_ids WHERE user_id = new.id);"
     " END;"
     "CREATE TRIGGER users_search_del AFTER DELETE ON users BEGIN"
     " DELETE FROM users_search WHERE rowid = (SELECT rid FROM user_search_ids WHERE user_id = old.id);"
     " DELETE FROM user_search_ids WHERE user_id = old.id;"
     " END;"),
    /* 15: sessions of display (device) accounts have their own
     * policy, apart from people's: device_idle_s 0 is no idle timeout (a
     * wall screen in a hall is never touched), device_session_s their
     * lifetime (30 days by default). sessions.device marks them, so that
     * people's policy never clamps them and theirs never clamps people's. */
    ("ALTER TABLE orgs ADD COLUMN device_idle_s INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE orgs ADD COLUMN device_session_s INTEGER NOT NULL DEFAULT 2592000;"
     "ALTER TABLE sessions ADD COLUMN device INTEGER NOT NULL DEFAULT 0;"),
    /* 16: webhooks. An endpoint per row (events: space-separated
     * event names or "group.*"-style patterns; secret sealed by the secret
     * box); its deliveries are a second kind of outbox row, written in the
     * transaction of the change and claimed with a lease like mails
     * ('queued', 'sending', 'delivered', 'deferred', 'failed'). Only an
     * excerpt of each reply is kept. */
    ("CREATE TABLE webhooks ("
     " id TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " url TEXT NOT NULL,"
     " description TEXT NOT NULL DEFAULT '',"
     " events TEXT NOT NULL,"
     " enabled INTEGER NOT NULL DEFAULT 1,"
     " secret TEXT NOT NULL,"
     " created_by TEXT,"
     " created_at INTEGER NOT NULL,"
     " updated_at INTEGER NOT NULL);"
     "CREATE INDEX webhooks_org ON webhooks(org_id, enabled);"
     "CREATE TABLE webhook_deliveries ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " id TEXT NOT NULL UNIQUE,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,"
     " event TEXT NOT NULL,"
     " payload TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " status TEXT NOT NULL DEFAULT 'queued',"
     " attempts INTEGER NOT NULL DEFAULT 0,"
     " next_attempt_at INTEGER NOT NULL DEFAULT 0,"
     " lease_until INTEGER NOT NULL DEFAULT 0,"
     " response_status INTEGER NOT NULL DEFAULT 0,"
     " response_excerpt TEXT NOT NULL DEFAULT '',"
     " last_error TEXT NOT NULL DEFAULT '',"
     " delivered_at INTEGER);"
     "CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);"
     "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries(webhook_id, seq);"),
    /* 17: SAML 2.0. Each org's service-provider signing key
     * (generated on first use; the private key sealed by core/secretbox.c)
     * and certificate; the assertion ids already accepted, until they
     * expire, so an assertion is never accepted twice. */
    ("CREATE TABLE saml_sp_keys ("
     " org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,"
     " cert_pem TEXT NOT NULL,"
     " key_sealed TEXT NOT NULL,"
     " created_at INTEGER NOT NULL);"
     "CREATE TABLE saml_seen ("
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " assertion_id TEXT NOT NULL,"
     " expires_at INTEGER NOT NULL,"
     " PRIMARY KEY (org_id, assertion_id));"
     "CREATE INDEX saml_seen_expiry ON saml_seen(expires_at);"),
    /* 18: electronic signatures (core/esign.h): the accounts that may sign,
     * the signatures (append-only, a hash chain per organization) and the
     * chain's head beside them, so removing the newest rows shows too. */
    ("CREATE TABLE esign_accounts ("
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,"
     " enabled_by TEXT NOT NULL DEFAULT '',"
     " enabled_at INTEGER NOT NULL);"
     "CREATE INDEX esign_accounts_org ON esign_accounts(org_id);"
     "CREATE TABLE signatures ("
     " id TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " seq INTEGER NOT NULL,"
     " signer_id TEXT NOT NULL,"
     " signer_name TEXT NOT NULL,"
     " signer_email TEXT NOT NULL,"
     " on_behalf_id TEXT NOT NULL DEFAULT '',"
     " on_behalf_name TEXT NOT NULL DEFAULT '',"
     " record_type TEXT NOT NULL,"
     " record_ref TEXT NOT NULL,"
     " content_hash TEXT NOT NULL DEFAULT '',"
     " meaning TEXT NOT NULL,"
     " method TEXT NOT NULL,"
     " signed_at INTEGER NOT NULL,"
     " prev_hash TEXT NOT NULL,"
     " hash TEXT NOT NULL,"
     " UNIQUE (org_id, seq));"
     "CREATE INDEX signatures_ref ON signatures(org_id, record_ref, seq);"
     "CREATE TABLE signature_heads ("
     " org_id TEXT PRIMARY KEY REFERENCES orgs(id) ON DELETE CASCADE,"
     " seq INTEGER NOT NULL,"
     " hash TEXT NOT NULL);"),
    /* 19: passkeys and security keys (core/webauthn.h): the public key of
     * each registered credential with its sign counter, and the single-use
     * challenges (stored hashed) of registrations and assertions. */
    ("CREATE TABLE webauthn_credentials ("
     " id TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
     " cred_id TEXT NOT NULL,"
     " cose_type INTEGER NOT NULL,"
     " public_key TEXT NOT NULL,"
     " sign_count INTEGER NOT NULL DEFAULT 0,"
     " name TEXT NOT NULL,"
     " created_at INTEGER NOT NULL,"
     " last_used_at INTEGER NOT NULL DEFAULT 0,"
     " UNIQUE (org_id, cred_id));"
     "CREATE INDEX webauthn_credentials_user ON webauthn_credentials(org_id, user_id);"
     "CREATE TABLE webauthn_challenges ("
     " hash TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " user_id TEXT NOT NULL,"
     " purpose TEXT NOT NULL,"
     " expires_at INTEGER NOT NULL);"),
    /* 20: the generation triggers on users and roles also say what changed:
     * one authz_changes row (generation, kind, org, id) per bump, in the
     * same transaction, so a snapshot holder applies only those changes
     * (core/access.c). A bump without a row (orgs, allowlists, anything
     * older) means "rebuild everything"; a user moving between orgs or a
     * role renamed logs both the old and the new name. The poller prunes
     * old rows. */
    ("CREATE TABLE authz_changes ("
     " gen INTEGER NOT NULL,"
     " kind TEXT NOT NULL CHECK (kind IN ('user', 'role')),"
     " org_id TEXT NOT NULL,"
     " id TEXT NOT NULL);"
     "CREATE INDEX authz_changes_gen ON authz_changes(gen);"
     "DROP TRIGGER gen_users_i; DROP TRIGGER gen_users_u; DROP TRIGGER gen_users_d;"
     "DROP TRIGGER gen_roles_i; DROP TRIGGER gen_roles_u; DROP TRIGGER gen_roles_d;"
     "CREATE TRIGGER gen_users_i AFTER INSERT ON users BEGIN " GEN_BUMP CHANGE("user", "NEW.org_id", "NEW.id") " END;"
     "CREATE TRIGGER gen_users_u AFTER UPDATE ON users WHEN"
     " OLD.org_id IS NOT NEW.org_id OR OLD.role_key IS NOT NEW.role_key OR OLD.status IS NOT NEW.status"
     " OR OLD.modules IS NOT NEW.modules OR OLD.grants IS NOT NEW.grants"
     " OR OLD.office_access IS NOT NEW.office_access OR OLD.factory_access IS NOT NEW.factory_access"
     " OR OLD.id IS NOT NEW.id"
     " BEGIN " GEN_BUMP CHANGE("user", "NEW.org_id", "NEW.id") CHANGE("user", "OLD.org_id", "OLD.id") " END;"
     "CREATE TRIGGER gen_users_d AFTER DELETE ON users BEGIN " GEN_BUMP CHANGE("user", "OLD.org_id", "OLD.id") " END;"
     "CREATE TRIGGER gen_roles_i AFTER INSERT ON roles BEGIN " GEN_BUMP CHANGE("role", "NEW.org_id", "NEW.key") " END;"
     "CREATE TRIGGER gen_roles_u AFTER UPDATE ON roles WHEN"
     " OLD.org_id IS NOT NEW.org_id OR OLD.key IS NOT NEW.key OR OLD.permissions IS NOT NEW.permissions"
     " OR OLD.device IS NOT NEW.device"
     " BEGIN " GEN_BUMP CHANGE("role", "NEW.org_id", "NEW.key") CHANGE("role", "OLD.org_id", "OLD.key") " END;"
     "CREATE TRIGGER gen_roles_d AFTER DELETE ON roles BEGIN " GEN_BUMP CHANGE("role", "OLD.org_id", "OLD.key") " END;"),
    /* 21: an SSO re-authentication remembers whether the IdP's MFA counted
     * (org_mfa's sso_counts_as_mfa and the amr/acr it asserted), for
     * e-signatures where the org requires a second factor. */
    ("ALTER TABLE sso_states ADD COLUMN proved_mfa INTEGER NOT NULL DEFAULT 0;"),
    /* 22: task search served by an index, like users' (14): tasks_search
     * indexes the folded ref and title (gh_search_key, registered on every
     * connection; the triggers compute it, so no task statement changes)
     * with FTS5's trigram tokenizer. Rowids come from task_search_ids (an
     * INTEGER PRIMARY KEY, which VACUUM keeps). Derived data: an org
     * backup leaves it out and the triggers rebuild it on restore. */
    ("CREATE TABLE task_search_ids (rid INTEGER PRIMARY KEY, task_id TEXT NOT NULL UNIQUE);"
     "CREATE VIRTUAL TABLE tasks_search USING fts5(k, oid UNINDEXED, tokenize = 'trigram');"
     "INSERT INTO task_search_ids (task_id) SELECT id FROM tasks ORDER BY org_id, ref;"
     "INSERT INTO tasks_search (rowid, k, oid)"
     " SELECT m.rid, gh_search_key(t.ref, t.title, NULL), t.org_id FROM task_search_ids m JOIN tasks t ON t.id = m.task_id;"
     "CREATE TRIGGER tasks_search_ins AFTER INSERT ON tasks BEGIN"
     " INSERT INTO task_search_ids (task_id) VALUES (new.id);"
     " INSERT INTO tasks_search (rowid, k, oid)"
     "  VALUES ((SELECT rid FROM task_search_ids WHERE task_id = new.id), gh_search_key(new.ref, new.title, NULL), new.org_id);"
     " END;"
     "CREATE TRIGGER tasks_search_upd AFTER UPDATE OF ref, title ON tasks"
     " WHEN old.ref IS NOT new.ref OR old.title IS NOT new.title BEGIN"
     " UPDATE tasks_search SET k = gh_search_key(new.ref, new.title, NULL)"
     "  WHERE rowid = (SELECT rid FROM task_search_ids WHERE task_id = new.id);"
     " END;"
     "CREATE TRIGGER tasks_search_del AFTER DELETE ON tasks BEGIN"
     " DELETE FROM tasks_search WHERE rowid = (SELECT rid FROM task_search_ids WHERE task_id = old.id);"
     " DELETE FROM task_search_ids WHERE task_id = old.id;"
     " END;"),
    /* 23: group lists in name order from an index, so a page never
     * sorts the whole org: name_sort is gh_name_key(name) under a plain
     * index, as users' (no custom collation in the schema, so other tools
     * can still alter and vacuum the database), written by the triggers.
     * Group search like tasks' (22): groups_search indexes the folded name,
     * computed by the triggers; rowids from group_search_ids. */
    ("ALTER TABLE groups ADD COLUMN name_sort TEXT NOT NULL DEFAULT '';"
     "UPDATE groups SET name_sort = gh_name_key(name);"
     "CREATE INDEX groups_org_order ON groups(org_id, name_sort, id);"
     "CREATE TRIGGER groups_sort_ins AFTER INSERT ON groups BEGIN"
     " UPDATE groups SET name_sort = gh_name_key(new.name) WHERE id = new.id;"
     " END;"
     "CREATE TRIGGER groups_sort_upd AFTER UPDATE OF name ON groups WHEN old.name IS NOT new.name BEGIN"
     " UPDATE groups SET name_sort = gh_name_key(new.name) WHERE id = new.id;"
     " END;"
     "CREATE TABLE group_search_ids (rid INTEGER PRIMARY KEY, group_id TEXT NOT NULL UNIQUE);"
     "CREATE VIRTUAL TABLE groups_search USING fts5(k, oid UNINDEXED, tokenize = 'trigram');"
     "INSERT INTO group_search_ids (group_id) SELECT id FROM groups ORDER BY org_id, name_norm;"
     "INSERT INTO groups_search (rowid, k, oid)"
     " SELECT x.rid, gh_search_key(g.name, NULL, NULL), g.org_id FROM group_search_ids x JOIN groups g ON g.id = x.group_id;"
     "CREATE TRIGGER groups_search_ins AFTER INSERT ON groups BEGIN"
     " INSERT INTO group_search_ids (group_id) VALUES (new.id);"
     " INSERT INTO groups_search (rowid, k, oid)"
     "  VALUES ((SELECT rid FROM group_search_ids WHERE group_id = new.id), gh_search_key(new.name, NULL, NULL), new.org_id);"
     " END;"
     "CREATE TRIGGER groups_search_upd AFTER UPDATE OF name ON groups WHEN old.name IS NOT new.name BEGIN"
     " UPDATE groups_search SET k = gh_search_key(new.name, NULL, NULL)"
     "  WHERE rowid = (SELECT rid FROM group_search_ids WHERE group_id = new.id);"
     " END;"
     "CREATE TRIGGER groups_search_del AFTER DELETE ON groups BEGIN"
     " DELETE FROM groups_search WHERE rowid = (SELECT rid FROM group_search_ids WHERE group_id = old.id);"
     " DELETE FROM group_search_ids WHERE group_id = old.id;"
     " END;"),
    /* 24: temporary and seasonal workers (003): an account's expiry
     * date and a scheduled lock or unlock (unix seconds, 0 = none), applied
     * by the sweep (core/schedule.h); each partial index holds only the
     * accounts that have one, so the sweep reads nothing else. And the
     * index the seat counts read. */
    ("ALTER TABLE users ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE users ADD COLUMN lock_at INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE users ADD COLUMN unlock_at INTEGER NOT NULL DEFAULT 0;"
     "CREATE INDEX users_expires ON users(expires_at) WHERE expires_at > 0;"
     "CREATE INDEX users_lock_at ON users(lock_at) WHERE lock_at > 0;"
     "CREATE INDEX users_unlock_at ON users(unlock_at) WHERE unlock_at > 0;"
     /* Seat counts (core/seats.h, every GET /v1/org) read this index alone
      * instead of every user row: 2 s to a few ms at 100,000 workers. */
     "CREATE INDEX users_seats ON users(org_id, status, office_access, factory_access, expires_at);"),
    /* 25: the e-mail domains an organization's company sign-in
     * declares, so /v1/auth/sso/start?email= finds its IdP. A domain
     * belongs to one organization at most (the primary key); written with
     * the SSO configuration and removed with it. */
    ("CREATE TABLE sso_domains ("
     " domain TEXT PRIMARY KEY,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE);"
     "CREATE INDEX sso_domains_org ON sso_domains(org_id);"),
    /* 26: what RP-initiated logout needs of a session opened by
     * an OIDC sign-in: the IdP's end_session_endpoint and the ID token for
     * id_token_hint, sealed (core/secretbox.h, per session). Goes with the
     * session. */
    ("CREATE TABLE sso_sessions ("
     " session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
     " org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
     " end_session_endpoint TEXT NOT NULL,"
     " id_token TEXT NOT NULL);"),
    /* 27: languages (issue 22): a person's language for the console, the
     * kiosk and their mail, and a kiosk device's for whoever has none; NULL
     * follows the next in line (device, then browser, then English). */
    "ALTER TABLE users ADD COLUMN language TEXT;"
    "ALTER TABLE kiosk_devices ADD COLUMN language TEXT;",
    /* 28: lists and searches that stay flat at 100,000 people (issue 17).
     * users_org_name also holds search_key, so a broad search walking the
     * name order tests each key in the index and reads only the matching
     * rows; each list filter has an index in name order (status, role,
     * office and factory access), so a rare one (status=locked) reads its
     * rows only. Invitations: invites_search indexes the folded e-mail
     * (rowids from invite_search_ids, written by triggers, as users' 14).
     * Audit: audit_search indexes the folded action, actor name and target
     * name as they were at the event; its rowid is the event's seq, so a
     * search reads its matches newest first straight from the index. The
     * store writes it with each event (store/audit.c; no trigger, so rows
     * written by other tools are simply not searchable), and this fills it
     * for the trail so far. */
    ("DROP INDEX users_org_name;"
     "CREATE INDEX users_org_name ON users(org_id, name_sort, id, search_key);"
     "CREATE INDEX users_org_status_name ON users(org_id, status, name_sort, id);"
     "DROP INDEX users_org_role;"
     "CREATE INDEX users_org_role_name ON users(org_id, role_key, name_sort, id);"
     "CREATE INDEX users_org_office_name ON users(org_id, name_sort, id) WHERE office_access = 1;"
     "CREATE INDEX users_org_factory_name ON users(org_id, name_sort, id) WHERE factory_access = 1;"
     "CREATE TABLE invite_search_ids (rid INTEGER PRIMARY KEY, invite_id TEXT NOT NULL UNIQUE);"
     "CREATE VIRTUAL TABLE invites_search USING fts5(k, oid UNINDEXED, tokenize = 'trigram');"
     "INSERT INTO invite_search_ids (invite_id) SELECT id FROM invites ORDER BY org_id, created_at, id;"
     "INSERT INTO invites_search (rowid, k, oid)"
     " SELECT x.rid, gh_search_key(i.email, NULL, NULL), i.org_id FROM invite_search_ids x JOIN invites i ON i.id = x.invite_id;"
     "CREATE TRIGGER invites_search_ins AFTER INSERT ON invites BEGIN"
     " INSERT INTO invite_search_ids (invite_id) VALUES (new.id);"
     " INSERT INTO invites_search (rowid, k, oid)"
     "  VALUES ((SELECT rid FROM invite_search_ids WHERE invite_id = new.id), gh_search_key(new.email, NULL, NULL), new.org_id);"
     " END;"
     "CREATE TRIGGER invites_search_upd AFTER UPDATE OF email ON invites WHEN old.email IS NOT new.email BEGIN"
     " UPDATE invites_search SET k = gh_search_key(new.email, NULL, NULL)"
     "  WHERE rowid = (SELECT rid FROM invite_search_ids WHERE invite_id = new.id);"
     " END;"
     "CREATE TRIGGER invites_search_del AFTER DELETE ON invites BEGIN"
     " DELETE FROM invites_search WHERE rowid = (SELECT rid FROM invite_search_ids WHERE invite_id = old.id);"
     " DELETE FROM invite_search_ids WHERE invite_id = old.id;"
     " END;"
     "CREATE VIRTUAL TABLE audit_search USING fts5(k, oid UNINDEXED, tokenize = 'trigram');"
     "INSERT INTO audit_search (rowid, k, oid) SELECT a.seq, " GH_AUDIT_SEARCH_KEY ", a.org_id FROM audit a;"),
};

int gh_migrations_count(void) { return (int)(sizeof migrations / sizeof migrations[0]); }

const char *gh_migration_sql(int v)
{
    if (v < 1 || v > gh_migrations_count()) return NULL;
    return migrations[v - 1];
}
