# The attention estimators' settings, shared by HKSANC's teacher adaptation
# (phase 2) and distillation (phase 3), so the two phases cannot drift apart.
# The adaptation checkpoint records them; distillation refuses estimators
# adapted under other settings (docs/method.md, "Task-driven attention").
query_mode = 'global'  # 'global' (KSANC) or 'hierarchical' (top-down, ours)
attention_cfg = dict(
    act='relu',  # nonlinearity before the score; None = paper's literal
    pool_source='fused',  # pool L + proj(g) (equation) or 'features' (figure)
    pooling='weighted_sum')  # convex combination; 'mean' = paper's literal
