# points: project_out=0
# kind: stub
# note: the release's answer cell as handed out, unanswered (raises NotImplementedError)
def project_out(direction, other):
    """Remove from each row of direction its component along the same row of other.

    Parameters:
        direction: a tensor of shape (n, z_dim)
        other: a tensor of shape (n, z_dim)
    Returns:
        a tensor of shape (n, z_dim) whose rows are orthogonal to the rows of other
    """
    # YOUR CODE HERE
    raise NotImplementedError()
