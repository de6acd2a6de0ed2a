from tandem.threads.selectors import pending_invitations, your_turn_count


def queue_counts(request) -> dict:
    """Counts shown in the navigation on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # The home page has counted it already, for its own heading.
    counted = getattr(request, "your_turn_count", None)
    return {
        "nav_your_turn": your_turn_count(user) if counted is None else counted,
        "nav_invitations": pending_invitations(user).count(),
    }
