from tandem.threads.selectors import pending_invitations, your_turn_count


def queue_counts(request) -> dict:
    """Counts shown in the navigation on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_your_turn": your_turn_count(user),
        "nav_invitations": pending_invitations(user).count(),
    }
