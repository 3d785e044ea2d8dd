#!/usr/bin/env python3
"""What a login with legacy rules adds in the database: rules' auth0.users.getUsersByEmail is
answered from the users with the login's e-mail, read ahead with one query on the users table's
`email_key` index (UserRepository.find(email:)). This times that query in SQLite itself on the
server's schema (Migration+All.swift) with 100,000 users; the Swift driver's per-query cost comes
on top, as for the other reads of a login. Prints the query plan and a last line
  users=100000 p50_us=… p99_us=… plan=[…]
Usage: scripts/bench-email-lookup.py"""
import json, random, sqlite3, statistics, string, tempfile, time, os
path = os.path.join(tempfile.mkdtemp(), "users.sqlite")
db = sqlite3.connect(path)
db.executescript("""
CREATE TABLE users (user_id TEXT PRIMARY KEY, connection TEXT NOT NULL, email_key TEXT, username_key TEXT,
    password_hash TEXT, document TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE UNIQUE INDEX users_connection_email ON users (connection, email_key);
CREATE UNIQUE INDEX users_connection_username ON users (connection, username_key);
CREATE INDEX users_email ON users (email_key);
""")
doc = json.dumps({"user_id": "x", "email": "x", "app_metadata": {"plan": "pro"}, "user_metadata": {"theme": "dark"}, "name": "A Person", "nickname": "a"})
rows = [(f"auth0|{i:024x}", "Username-Password-Authentication", f"user{i}@example.com", None, "hash", doc, i) for i in range(100_000)]
db.executemany("INSERT INTO users VALUES (?,?,?,?,?,?,?)", rows)
db.commit()
times = []
for _ in range(20_000):
    email = f"user{random.randrange(100_000)}@example.com"
    start = time.perf_counter_ns()
    db.execute("SELECT user_id, document FROM users WHERE email_key = ? ORDER BY created_at", (email,)).fetchall()
    times.append((time.perf_counter_ns() - start) / 1000)
times.sort()
plan = db.execute("EXPLAIN QUERY PLAN SELECT user_id, document FROM users WHERE email_key = ? ORDER BY created_at", ("a",)).fetchall()
print(f"users=100000 p50_us={times[len(times)//2]:.1f} p99_us={times[int(len(times)*0.99)]:.1f} plan={plan}")
