/*
 * SCIM PATCH (RFC 7644 §3.5.2): the operations of a PatchOp applied to a
 * resource's JSON (paths with filters, the enterprise extension's URN keys,
 * members), then written back as a PUT of the result, under the If-Match
 * guard of scim_int.h.
 */
#include <string.h>
#include <strings.h>

#include "core/scim_int.h"
#include "util/json.h"

/* ---- PATCH (RFC 7644 §3.5.2) on a resource as JSON ------------------------------------- */
static bool is_ext_urn(const char *s)
{
    return strcasecmp(s, GH_SCIM_ENTERPRISE_URN) == 0 || strcasecmp(s, GH_SCIM_GATEHOUSE_URN) == 0;
}

static const char *ext_key(const char *s)
{
    return strcasecmp(s, GH_SCIM_ENTERPRISE_URN) == 0 ? GH_SCIM_ENTERPRISE_URN : GH_SCIM_GATEHOUSE_URN;
}

/* The member of o named k in any case, created as `make` when absent
 * (make NULL: not created). Returns a borrowed reference. */
static json_t *member(json_t *o, const char *k, json_t *(*make)(void), const char **key_out)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
        if (strcasecmp(key, k) == 0) { if (key_out) *key_out = key; return v; }
    if (key_out) *key_out = k;
    if (!make) return NULL;
    v = make();
    if (!v || json_object_set_new(o, k, v) != 0) return NULL;
    return v;
}

static json_t *mk_object(void) { return json_object(); }

/* Whether two multi-valued entries are the same (by "value" when both have one). */
static bool same_entry(const json_t *a, const json_t *b)
{
    json_t *va = json_is_object(a) ? gh_scim_get_ci(a, "value") : NULL, *vb = json_is_object(b) ? gh_scim_get_ci(b, "value") : NULL;
    if (va && vb) return json_equal(va, vb);
    return json_equal((json_t *)a, (json_t *)b);
}

static gh_status patch_at(gh_ctx *ctx, json_t *res, bool add, bool remove, const char *path, json_t *value);

/* add/replace of an object value without a path: each member as a path. */
static gh_status patch_members(gh_ctx *ctx, json_t *res, bool add, json_t *value)
{
    if (!json_is_object(value))
        return gh_scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "an operation without a path needs an object value");
    const char *k;
    json_t *v;
    json_object_foreach(value, k, v) {
        gh_status st;
        if (is_ext_urn(k) && json_is_object(v)) {
            json_t *ext = member(res, ext_key(k), mk_object, NULL);
            if (!ext) return gh_ctx_oom(ctx);
            const char *sk;
            json_t *sv;
            json_object_foreach(v, sk, sv) if ((st = patch_at(ctx, ext, add, false, sk, sv)) != GH_OK) return st;
            continue;
        }
        if (strcasecmp(k, "schemas") == 0 || strcasecmp(k, "id") == 0 || strcasecmp(k, "meta") == 0) continue;
        if ((st = patch_at(ctx, res, add, false, k, v)) != GH_OK) return st;
    }
    return GH_OK;
}

static gh_status patch_at(gh_ctx *ctx, json_t *res, bool add, bool remove, const char *path, json_t *value)
{
    gh_scim_path p;
    char perr[200];
    gh_status st = GH_OK;
    if (is_ext_urn(path)) {
        json_t *ext = member(res, ext_key(path), remove ? NULL : mk_object, NULL);
        if (remove) { json_object_del(res, ext_key(path)); return GH_OK; }
        if (!ext) return gh_ctx_oom(ctx);
        return patch_members(ctx, ext, add, value);
    }
    if (!gh_scim_path_parse(path, &p, perr, sizeof perr))
        return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "path '%.80s': %s", path, perr);
    json_t *base = res;
    if (p.urn && !strstr(p.urn, ":core:")) {
        if (!is_ext_urn(p.urn)) {
            st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "unknown schema '%.120s'", p.urn);
            goto done;
        }
        base = member(res, ext_key(p.urn), remove ? NULL : mk_object, NULL);
        if (!base) { if (!remove) st = gh_ctx_oom(ctx); goto done; }
    }
    if (strcasecmp(p.attr, "id") == 0 || strcasecmp(p.attr, "meta") == 0 || strcasecmp(p.attr, "schemas") == 0) {
        st = gh_scim_fail(ctx, GH_E_INVALID, "mutability", "mutability", "'%s' is read-only", p.attr);
        goto done;
    }
    const char *found;
    char key[128];
    json_t *cur = member(base, p.attr, NULL, &found);
    gh_strlcpy(key, found, sizeof key);
    if (p.filter) {
        if (cur && !json_is_array(cur)) {
            st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "'%s' is not multi-valued", p.attr);
            goto done;
        }
        bool hit = false;
        for (size_t i = 0; cur && i < json_array_size(cur);) {
            json_t *e = json_array_get(cur, i);
            if (!json_is_object(e) || !gh_scim_filter_match(p.filter, e)) { i++; continue; }
            hit = true;
            if (remove) {
                if (p.sub) { json_object_del(e, p.sub); i++; }
                else json_array_remove(cur, i);
                continue;
            }
            if (p.sub) json_object_set(e, p.sub, value);
            else if (json_is_object(value)) {
                if (add) json_object_update(e, value);
                else json_array_set(cur, i, value);
            } else {
                st = gh_scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "'%s' entries are objects", p.attr);
                goto done;
            }
            i++;
        }
        if (hit || remove) goto done;
        /* Nothing matched: a simple `attr eq "x"` filter makes the entry
         * (Entra ID replaces emails[type eq "work"].value on people who
         * have none yet). */
        if (p.filter->op != GH_SF_EQ || strchr(p.filter->attr, '.') || strchr(p.filter->attr, ':')) {
            st = gh_scim_fail(ctx, GH_E_INVALID, "no_target", "noTarget", "no '%s' entry matches the filter", p.attr);
            goto done;
        }
        json_t *e = json_is_object(value) && !p.sub ? json_deep_copy(value) : json_object();
        if (!e) { st = gh_ctx_oom(ctx); goto done; }
        json_object_set(e, p.filter->attr, p.filter->value);
        if (p.sub) json_object_set(e, p.sub, value);
        if (!cur) {
            cur = json_array();
            if (!cur || json_object_set_new(base, key, cur) != 0) { json_decref(e); st = gh_ctx_oom(ctx); goto done; }
        }
        json_array_append_new(cur, e);
        goto done;
    }
    if (p.sub) {
        if (json_is_array(cur)) { /* every entry's sub-attribute */
            size_t i;
            json_t *e;
            json_array_foreach(cur, i, e) if (json_is_object(e)) {
                if (remove) json_object_del(e, p.sub);
                else json_object_set(e, p.sub, value);
            }
            goto done;
        }
        if (remove) { if (json_is_object(cur)) json_object_del(cur, p.sub); goto done; }
        if (!json_is_object(cur)) {
            cur = json_object();
            if (!cur || json_object_set_new(base, key, cur) != 0) { st = gh_ctx_oom(ctx); goto done; }
        }
        json_object_set(cur, p.sub, value);
        goto done;
    }
    if (remove) {
        if (json_is_array(cur) && json_is_array(value)) { /* remove the listed entries */
            size_t j;
            json_t *w;
            json_array_foreach(value, j, w)
                for (size_t i = 0; i < json_array_size(cur);)
                    if (same_entry(json_array_get(cur, i), w)) json_array_remove(cur, i);
                    else i++;
        } else {
            json_object_del(base, key);
        }
        goto done;
    }
    if (json_is_array(cur) && add) {
        if (json_is_array(value)) {
            size_t j;
            json_t *w;
            json_array_foreach(value, j, w) {
                bool dup = false;
                for (size_t i = 0; i < json_array_size(cur) && !dup; i++) dup = same_entry(json_array_get(cur, i), w);
                if (!dup) json_array_append(cur, w);
            }
        } else {
            json_array_append(cur, value);
        }
        goto done;
    }
    if (json_is_object(cur) && json_is_object(value)) {
        json_object_update(cur, value);
        goto done;
    }
    json_object_set(base, key, value);
done:
    gh_scim_path_free(&p);
    return st;
}

/* Applies a PatchOp message to res (a copy of the current resource). */
static gh_status patch_apply(gh_ctx *ctx, json_t *res, const json_t *in)
{
    json_t *ops = gh_scim_get_ci(in, "Operations");
    if (!json_is_array(ops) || json_array_size(ops) == 0)
        return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "a PatchOp needs 'Operations'");
    if (json_array_size(ops) > 1000)
        return gh_scim_fail(ctx, GH_E_INVALID, "too_many", "tooMany", "at most 1000 operations");
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op) {
        const char *name = json_string_value(gh_scim_get_ci(op, "op"));
        json_t *pathv = gh_scim_get_ci(op, "path");
        json_t *value = gh_scim_get_ci(op, "value");
        if (!json_is_object(op) || !name)
            return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu has no 'op'", i);
        bool add = strcasecmp(name, "add") == 0, rep = strcasecmp(name, "replace") == 0,
             rem = strcasecmp(name, "remove") == 0;
        if (!add && !rep && !rem)
            return gh_scim_fail(ctx, GH_E_INVALID, "invalid_body", "invalidSyntax", "operation %zu: op is add, replace or remove", i);
        if (pathv && !json_is_null(pathv) && !json_is_string(pathv))
            return gh_scim_fail(ctx, GH_E_INVALID, "invalid_path", "invalidPath", "operation %zu: path must be a string", i);
        const char *path = json_string_value(pathv);
        gh_status st;
        if (!path || !*path) {
            if (rem) return gh_scim_fail(ctx, GH_E_INVALID, "no_target", "noTarget", "remove needs a path");
            st = patch_members(ctx, res, add, value);
        } else {
            if (!rem && !value)
                return gh_scim_fail(ctx, GH_E_INVALID, "invalid_value", "invalidValue", "operation %zu needs a value", i);
            st = patch_at(ctx, res, add, rem, path, value);
        }
        if (st != GH_OK) return st;
    }
    return GH_OK;
}

gh_status gh_scim_patch_common(gh_ctx *ctx, const char *id, const json_t *in, const char *if_match, json_t **out,
                              gh_status (*load)(gh_ctx *, const char *, json_t **),
                              gh_status (*apply)(gh_ctx *, const char *, const json_t *, const char *, json_t **))
{
    json_t *now = NULL;
    *out = NULL;
    gh_status st = load(ctx, id, &now);
    if (st != GH_OK) return st;
    if ((st = gh_scim_check_match(ctx, now, if_match)) == GH_OK && (st = patch_apply(ctx, now, in)) == GH_OK) {
        gh_scim_match_guard mg = {.id = id, .if_match = if_match, .load = load};
        gh_scim_match_arm(ctx, &mg);
        st = apply(ctx, id, now, NULL, out);
        gh_scim_match_disarm(ctx);
    }
    json_decref(now);
    return st;
}

