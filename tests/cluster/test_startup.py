def test_it_comes_up(cluster):
    answer = cluster.request("GET", "/realms/demo/.well-known/openid-configuration")
    assert answer.status == 200
    assert answer.json()["issuer"] == cluster.issuer
