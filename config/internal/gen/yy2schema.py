#!/usr/bin/env python3
"""Derive lessor's key schema from Kea 2.2's bison grammar (dhcp4_parser.yy or
dhcp6_parser.yy): for every map the parser knows, its keys, the shape of each
value, the context name used in error texts, required keys and whether it may
be empty or hold unknown keys. Output: JSON on stdout.

Usage (from the config directory; see the go:generate lines in schema.go):
  python3 internal/gen/yy2schema.py KEA/src/bin/dhcp4/dhcp4_parser.yy \
      KEA/src/bin/dhcp4/parser_context.cc > schema4.json
"""
import json, re, sys

src = open(sys.argv[1]).read()
parts = src.split('\n%%')
decl, rules_txt = parts[0], parts[1]

tokname = {}
tokorder = []
for m in re.finditer(r'^\s*([A-Z_0-9]+)\s+(?:0\s+)?"((?:[^"\\]|\\.)*)"\s*$', decl, re.M):
    tokname[m.group(1)] = m.group(2)
    tokorder.append(m.group(2))
for m in re.finditer(r'%token\s*<[^>]*>\s*([A-Z_]+)\s+"([^"]*)"', decl):
    tokname[m.group(1)] = m.group(2)
    tokorder.append(m.group(2))

def lex(s):
    i, n = 0, len(s)
    out = []
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif s.startswith('//', i):
            i = s.index('\n', i)
        elif s.startswith('/*', i):
            i = s.index('*/', i) + 2
        elif c == '{':
            depth, j = 0, i
            while True:
                d = s[j]
                if d == '"' or d == "'":
                    j += 1
                    while s[j] != d:
                        if s[j] == '\\':
                            j += 1
                        j += 1
                elif s.startswith('//', j):
                    j = s.index('\n', j) - 1
                elif s.startswith('/*', j):
                    j = s.index('*/', j) + 1
                elif d == '{':
                    depth += 1
                elif d == '}':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(('ACT', s[i:j+1]))
            i = j + 1
        elif c in ':|;':
            out.append((c, c)); i += 1
        elif c == '%':
            m = re.match(r'%[a-z]+', s[i:]); out.append(('EMPTY', m.group(0))); i += len(m.group(0))
        else:
            m = re.match(r'[A-Za-z_0-9.]+', s[i:])
            if not m:
                raise SystemExit('lex error at %r' % s[i:i+40])
            out.append(('ID', m.group(0))); i += len(m.group(0))
    return out

rules_txt = rules_txt.replace("%start start;", "")
toks = lex(rules_txt)
rules = {}
i = 0
while i < len(toks):
    name = toks[i][1]; assert toks[i+1][0] == ':', (name, toks[i+1])
    i += 2
    alts, cur = [], []
    while i < len(toks) and toks[i][0] != ';' and not (toks[i][0] == 'ID' and i + 1 < len(toks) and toks[i+1][0] == ':'):
        if toks[i][0] == '|':
            alts.append(cur); cur = []
        else:
            cur.append(toks[i])
        i += 1
    alts.append(cur)
    if i < len(toks) and toks[i][0] == ';':
        i += 1
    rules[name] = alts

def syms(alt):
    return [t[1] for t in alt if t[0] == 'ID']
def acts(alt):
    return ' '.join(t[1] for t in alt if t[0] == 'ACT')
def isterm(s):
    return s not in rules

CTXNAMES = {}
pc = open(sys.argv[2]).read()
for m in re.finditer(r'case ([A-Z_0-9]+):\s*return \("([^"]*)"\);', pc):
    CTXNAMES[m.group(1)] = m.group(2)

maps = {}      # schema id -> map schema
def ctx_of(alt, cur):
    m = re.search(r'ctx\.enter\(ctx\.([A-Z_0-9]+)\)', acts(alt))
    return m.group(1) if m else cur

def requires(alt):
    return re.findall(r'ctx\.require\("([^"]+)"', acts(alt))

def scalar_shape(s):
    return {'STRING': 'string', 'INTEGER': 'integer', 'FLOAT': 'real', 'BOOLEAN': 'boolean', 'NULL_TYPE': 'null'}.get(s)

def value_shape(seq, ctx, where):
    """Shape of the value part of a keyword rule (symbols after COLON)."""
    if len(seq) == 1:
        s = seq[0]
        if scalar_shape(s):
            return {'t': [scalar_shape(s)]}
        if s == 'value':
            return {'t': ['any']}
        if s == 'map_value':
            return {'t': ['anymap']}
        if s == 'list_generic':
            return {'t': ['anylist']}
        if s == 'list_strings':
            return {'t': ['list'], 'elem': {'t': ['string']}, 'empty': True}
        if isterm(s):
            return {'t': ['kw'], 'kw': [tokname[s]]}
        # enum-like nonterminal
        out = {'t': [], 'kw': []}
        for alt in rules[s]:
            ss = syms(alt)
            if len(ss) == 1 and isterm(ss[0]):
                sc = scalar_shape(ss[0])
                if sc: out['t'].append(sc)
                else: out['kw'].append(tokname[ss[0]])
            elif len(ss) == 1:
                sub = value_shape(ss, ctx, where)
                out['t'] += sub['t']; out['kw'] += sub.get('kw', [])
            else:
                raise SystemExit('enum? %s %s' % (where, ss))
        if out['kw']: out['t'].append('kw')
        return out
    if seq[0] == 'LCURLY_BRACKET' and seq[-1] == 'RCURLY_BRACKET' and len(seq) == 3:
        return {'t': ['map'], 'map': map_schema(seq[1], ctx, [])}
    if seq[0] == 'LSQUARE_BRACKET' and seq[-1] == 'RSQUARE_BRACKET' and len(seq) == 3:
        return list_shape(seq[1], ctx, where)
    raise SystemExit('value? %s %s' % (where, seq))

def list_shape(content, ctx, where):
    """content: rule inside [ ]."""
    empty = False
    alts = rules[content]
    ss = [syms(a) for a in alts]
    if [] in ss:
        empty = True
        rest = [x for x in ss if x]
        assert len(rest) == 1 and len(rest[0]) == 1, (where, ss)
        content = rest[0][0]
        ss = [syms(a) for a in rules[content]]
    # not_empty: entry | self COMMA entry | self COMMA
    entry = [x for x in ss if content not in x]
    assert len(entry) == 1 and len(entry[0]) == 1, (where, content, ss)
    e = entry[0][0]
    if scalar_shape(e):
        return {'t': ['list'], 'elem': {'t': [scalar_shape(e)]}, 'empty': empty}
    if e == 'value':
        return {'t': ['list'], 'elem': {'t': ['any']}, 'empty': empty}
    # entry rule: a map { params } or alternatives of keyword rules
    ealts = rules[e]
    es = [syms(a) for a in ealts]
    if len(es) == 1 and es[0][0] == 'LCURLY_BRACKET':
        seq = es[0]
        assert len(seq) == 3, (where, seq)
        req = requires(ealts[0])
        return {'t': ['list'], 'elem': {'t': ['map'], 'map': map_schema(seq[1], ctx_of(ealts[0], ctx), req)}, 'empty': empty}
    # enumerated keyword items
    kws, types = [], ['kw']
    for a in es:
        assert len(a) == 1
        r = a[0]
        if not isterm(r):
            rs = syms(rules[r][0])
            assert len(rs) == 1 and isterm(rs[0]), (where, r, rs)
            r = rs[0]
        if scalar_shape(r):
            types.append(scalar_shape(r))
        else:
            kws.append(tokname[r])
    return {'t': ['list'], 'elem': {'t': types, 'kw': kws}, 'empty': empty}

def map_schema(params, ctx, req):
    sid = params + '@' + ctx
    if sid in maps:
        for r in req:
            if r not in maps[sid]['required']:
                maps[sid]['required'].append(r)
        return sid
    m = {'name': CTXNAMES.get(ctx, ctx), 'keys': {}, 'empty': False, 'unknown': 'syntax', 'required': list(req)}
    maps[sid] = m
    alts = rules[params]
    ss = [syms(a) for a in alts]
    if [] in ss:
        m['empty'] = True
        rest = [x for x in ss if x]
        assert len(rest) == 1 and len(rest[0]) == 1
        params = rest[0][0]
        ss = [syms(a) for a in rules[params]]
    if not any(params in x for x in ss):
        # a choice of one entry, not a list of entries
        m['single'] = True
    items = []
    for x in ss:
        if x == ['unknown_map_entry']:
            # an unknown key is reported as such only as the first entry
            m['unknown'] = 'error-first'
            continue
        if params in x:
            if x[-1] != 'COMMA' and x[-1] != params:
                items.append(x[-1])
        else:
            assert len(x) == 1, (params, x)
            items.append(x[0])
    # item rules: either a param rule (alternatives) or a keyword rule directly
    flat = []
    for it in items:
        if it in ('unknown_map_entry', 'arbitrary_map_entry'):
            flat.append(it); continue
        first = syms(rules[it][0])
        if len(first) >= 1 and not isterm(first[0]) and all(len(syms(a)) == 1 for a in rules[it]):
            flat += [syms(a)[0] for a in rules[it]]
        else:
            flat.append(it)
    for r in flat:
        while len(rules.get(r, [])) == 1 and len(syms(rules[r][0])) == 1 and not isterm(syms(rules[r][0])[0]):
            r = syms(rules[r][0])[0]
        if r == 'unknown_map_entry':
            if m['unknown'] != 'error-first':
                m['unknown'] = 'error'
            continue
        if r == 'arbitrary_map_entry':
            m['unknown'] = 'any'; continue
        for alt in rules[r]:
            s = syms(alt)
            if len(s) < 3 or s[1] != 'COLON':
                raise SystemExit('key rule? %s %s' % (r, s))
            key = tokname[s[0]]
            sh = value_shape(s[2:], ctx_of(alt, ctx), r)
            if 'map' in sh:
                for q in requires(alt):
                    if q not in maps[sh['map']]['required']:
                        maps[sh['map']]['required'].append(q)
            if key in m['keys']:
                old = m['keys'][key]
                old['t'] = sorted(set(old['t'] + sh['t']))
                if 'kw' in sh:
                    old['kw'] = sorted(set(old.get('kw', []) + sh['kw']))
            else:
                m['keys'][key] = sh
    return sid

start = [a for a in rules['start'] if 'syntax_map' in syms(a)][0]
# syntax_map: LCURLY global_object RCURLY; global_object: DHCPx COLON { global_params }
go = rules['global_object'][0]
gs = syms(go)
top = map_schema(gs[3], ctx_of(go, 'DHCP4'), [])
json.dump({'tokens': tokorder, 'top': top, 'section': tokname[gs[0]], 'maps': maps}, sys.stdout, indent=1, sort_keys=True)
