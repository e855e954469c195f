-- ordered
SELECT service_name, count(*) AS n, round(count(*) * 100.0 / (SELECT count(*) FROM system.access.audit), 10) AS pct,
  round(count(*) * 100.0 / (SELECT count(*) FROM system.access.audit), 2) AS pct2, round(2.5) AS r, 1.50 + 2 AS dsum,
  0.1 * 3 AS dmul, CAST(count(*) AS DECIMAL(10,2)) AS as_decimal, sum(0.5) AS half_sum, avg(1.25) AS avg_dec,
  CAST(1.239 AS DECIMAL(5,2)) AS cast_round, 10 / 4 AS int_div, 7.0 / 2 AS dec_div, 1e3 AS sci
FROM system.access.audit GROUP BY service_name ORDER BY n DESC, service_name
