from conftest import MIN_SELF_STAKE, ProviderStatus

def test_register(stake_manager, registered):
    assert stake_manager.statusOf(registered) == ProviderStatus.ACTIVE
    assert stake_manager.selfStakeOf(registered) == MIN_SELF_STAKE
