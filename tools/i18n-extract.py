#!/usr/bin/env python3
"""Moves literal user-facing text of a console page into the catalogues.

    tools/i18n-extract.py web/console/pages/PAGE.js PREFIX

Rewrites the page: a string or template literal where text goes (an
element's child, textContent, a label/title/hint/... property, toast,
badge, an upper-case ternary branch or argument) becomes tr('PREFIX.key')
(or tr('PREFIX.key', { name: expr }) for a template with ${...}), adds the
English text to web/console/i18n/en.json, and prints the new keys: each needs
its Spanish and German text in es.json and de.json before
tests/api/i18n.test.mjs passes (a missing translation fails it; never copy
the English). Templates with logic inside ${...} (plurals, conditions) are
listed as MANUAL: give them whole sentences (key.one / key.other for
counts). The translator is imported as `tr` (pages use `t` for tasks and
tabs): rename a local `tr` first. Review the diff: values that are not text (CSS classes, keys, HTTP
methods) are left alone by rule, but read it through.
"""
import collections
import json
import re
import sys

ROOT = __file__.rsplit('/tools/', 1)[0]
EN = f'{ROOT}/web/console/i18n/en.json'

LIT = r"""(?:'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`)"""
CTX = [
    r"\bh\('[\w-]+',\s*(?:null|\{[^{}]*\}),\s*",
    r"\.textContent\s*=\s*",
    r"\b(?:toast|errorBox|badge|showMessage)\(\s*",
    r"(?:\b(?:label|title|hint|empty|caption|message|detail|sub|placeholder|confirmLabel|submitLabel|backLabel)|'aria-label'):\s*",
    r"[?:]\s*(?=['`][A-Z])",
    r"(?<=[(\[,]\s)(?=['`][A-Z][^'`]*\s)",
    r"(?<=[(\[,])(?=['`][A-Z][^'`]*\s)",
    r"\}\s*,\s*(?=['`][A-Z])",
]
PAT = re.compile("(" + "|".join(CTX) + ")" + LIT)


def main(path, prefix):
    src = open(path, encoding='utf-8').read()
    en = json.load(open(EN, encoding='utf-8'), object_pairs_hook=collections.OrderedDict)
    common = {v: k for k, v in en.items() if k.startswith('common.')}
    by_text, new, manual = {}, [], []

    def key_for(text):
        if text in common:
            return common[text]
        if text in by_text:
            return by_text[text]
        words = re.findall(r"[A-Za-z0-9]+", text)[:5] or ['text']
        base = f"{prefix}." + words[0].lower() + ''.join(w.capitalize() for w in words[1:])
        k, i = base, 2
        while k in en:
            k, i = f"{base}{i}", i + 1
        en[k] = text
        by_text[text] = k
        new.append(k)
        return k

    def unescape(s):
        return s.replace("\\'", "'").replace('\\"', '"').replace('\\`', '`').replace('\\n', '\n').replace('\\\\', '\\')

    def repl(m):
        ctx, sq, tq = m.group(1), m.group(2), m.group(3)
        text = sq if sq is not None else tq
        bare = re.sub(r"\$\{[^}]*\}", " ", text).strip()
        if (not re.search(r"[A-Za-zÀ-ÿ]{2,}", bare) or re.fullmatch(r"[a-z0-9_-]+", bare)
                or re.fullmatch(r"[a-z]\w*(\.\w+)+", bare) or re.fullmatch(r"[A-Z0-9_ ]+", bare)
                or bare == 'gatehouse' or text.startswith('/') or '://' in text):
            return m.group(0)
        if sq is not None:
            return ctx + f"tr('{key_for(unescape(sq))}')"
        if '`' in text or re.search(r"\$\{[^}]*['\"?]", text):
            manual.append(text)
            return m.group(0)
        names = {}

        def placeholder(mm):
            ids = re.findall(r"[A-Za-z_]\w*", mm.group(1)) or ['value']
            name = ids[-1] if ids[-1] != 'length' else (ids[-2] + 'Count' if len(ids) > 1 else 'count')
            n, i = name, 2
            while n in names and names[n] != mm.group(1).strip():
                n, i = f"{name}{i}", i + 1
            names[n] = mm.group(1).strip()
            return '{' + n + '}'
        entext = re.sub(r"\$\{([^}]*)\}", placeholder, unescape(tq))
        if not names:
            return ctx + f"tr('{key_for(entext)}')"
        args = ', '.join(k if k == v else f"{k}: {v}" for k, v in names.items())
        return ctx + f"tr('{key_for(entext)}', {{ {args} }})"

    out = PAT.sub(repl, src)
    if "from '/console/i18n.js'" not in out:
        lines = out.split('\n')
        last = max(i for i, l in enumerate(lines) if l.startswith('import '))
        while not lines[last].rstrip().endswith(';'):
            last += 1
        lines.insert(last + 1, "import { t as tr } from '/console/i18n.js';")
        out = '\n'.join(lines)
    open(path, 'w', encoding='utf-8').write(out)
    with open(EN, 'w', encoding='utf-8') as f:
        json.dump(collections.OrderedDict(sorted(en.items())), f, ensure_ascii=False, indent=1)
        f.write('\n')
    for k in new:
        print(f"NEW {k}: {en[k]}")
    for x in manual:
        print(f"MANUAL {x}")


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
