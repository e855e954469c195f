SELECT unix_timestamp() * 10000000000
