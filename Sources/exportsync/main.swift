print("exportsync")
