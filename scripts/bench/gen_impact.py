#!/usr/bin/env python3
"""Multiplies the sent and calculated requests of a demo database (with their stored engine
inputs) until N such requests exist, for the reform-impact benchmark (issue 15). Not a test.

    gen_impact.py sqlite:///path/to.db N
    gen_impact.py postgres://user@host:port/db N

Copies keep their template's person, employment, CPAS, office, result and engine input; only
the reference differs (BENCH-<template>-<n>). The impact's work per request is the engine's,
which does not depend on the copy being unique.
"""
import sqlite3
import subprocess
import sys


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):].split("?")[0]
        con = sqlite3.connect(path)
        def query(sql):
            return con.execute(sql).fetchall()
        def run(sql):
            con.execute(sql)
        cols = [r[1] for r in query("PRAGMA table_info(requests)")]
        commit = con.commit
    else:
        def query(sql):
            out = subprocess.run(["psql", url, "-At", "-F", "\t", "-c", sql],
                                 check=True, capture_output=True, text=True).stdout
            return [tuple(l.split("\t")) for l in out.splitlines() if l]
        def run(sql):
            subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
        cols = [r[0] for r in query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'requests' "
            "AND table_schema = current_schema() ORDER BY ordinal_position")]
        commit = lambda: None
    templates = [int(r[0]) for r in query(
        "SELECT r.id FROM requests r JOIN request_engine_inputs e ON e.request_id = r.id "
        "WHERE r.status IN ('sent', 'calculated') ORDER BY r.id")]
    have = len(templates)
    if have == 0:
        sys.exit("no sent or calculated request with an engine input: seed the demo first")
    todo = max(0, n - have)
    copy = [c for c in cols if c not in ("id", "reference")]
    per = -(-todo // have)
    for k, t in enumerate(templates):
        count = min(per, todo - per * k)
        if count <= 0:
            break
        run(
            f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {count}) "
            f"INSERT INTO requests (reference, {', '.join(copy)}) "
            f"SELECT 'BENCH-{t}-' || seq.i, {', '.join('r.' + c for c in copy)} "
            f"FROM seq, requests r WHERE r.id = {t}"
        )
        run(
            "INSERT INTO request_engine_inputs (request_id, input, created_at) "
            "SELECT r.id, e.input, e.created_at FROM requests r, request_engine_inputs e "
            f"WHERE r.reference LIKE 'BENCH-{t}-%' AND e.request_id = {t}"
        )
        commit()
    total = query("SELECT count(*) FROM requests WHERE status IN ('sent', 'calculated')")[0][0]
    print(f"requests sent or calculated: {total} (templates: {have})")


if __name__ == "__main__":
    main()
