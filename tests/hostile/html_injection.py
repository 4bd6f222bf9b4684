"""Poison the class report: a failing answer prints and raises HTML and script."""


def demographic_parity_gap(y_true, y_pred, group):
    print("<script>alert('printed')</script><img src=x onerror=alert(1)>")
    raise ValueError("</pre><script>alert('message')</script>")
