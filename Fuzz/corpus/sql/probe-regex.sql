SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaac' RLIKE '(a+)+b', regexp_extract('abc', '(a)', 5), 'a' RLIKE '('
