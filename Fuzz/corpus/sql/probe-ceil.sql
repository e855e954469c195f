SELECT ceil(1e19)
