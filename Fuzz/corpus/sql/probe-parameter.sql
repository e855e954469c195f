SELECT :a + 1
