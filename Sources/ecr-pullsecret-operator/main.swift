print("ecr-pullsecret-operator: not yet wired; see issue 5")
