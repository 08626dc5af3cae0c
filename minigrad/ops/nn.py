"""Fused loss: softmax and cross-entropy in one op (one pass over the logits, no log of a tiny softmax)."""
from ..autodiff import Op, is_grad_enabled


class SoftmaxCrossEntropy(Op):
    """loss_i = -Σ_k q_ik log softmax(z_i)_k,  q_i = (1 - ε) onehot(t_i) + ε/C;  z (N, C), ``labels`` t (N,)
    reverse: dz_i = (softmax(z_i) - q_i) · g_i;   forward: dloss_i = Σ_k (softmax(z_i) - q_i)_k dz_ik

    First-order reverse mode runs the fused ``softmax_cross_entropy_backward`` kernel on the saved
    softmax. When the gradient is itself recorded (``create_graph``) the rule runs as Tensor ops with
    the softmax recomputed from z, so higher orders are exact too.
    """
    symbol = "cross_entropy({0})"

    def forward(self, z):
        losses, self.probs = self.xp.softmax_cross_entropy_forward(z, self.labels, self.label_smoothing)
        return losses

    def _residual(self):
        """softmax(z) - q (N, C): recorded as a function of z when grad mode is on, else from the saved softmax."""
        z = self.inputs[0]
        xp, (n, c) = self.xp, z.shape
        probs = z.softmax(axis=1) if is_grad_enabled() else z._new(self.probs)
        onehot = xp.astype(xp.equal(xp.reshape(self.labels, (n, 1)), xp.reshape(xp.arange(c), (1, c))), z.dtype)
        return probs - (z._new(onehot) * (1 - self.label_smoothing) + self.label_smoothing / c)

    def vjp(self, g):
        if not is_grad_enabled():
            return g._new(self.xp.softmax_cross_entropy_backward(self.probs, self.labels, g.data,
                                                                 self.label_smoothing))
        return self._residual() * g.unsqueeze(1)

    def jvp(self, dz):
        return (self._residual() * dz).sum(axis=1)


class SoftmaxCrossEntropyMean(SoftmaxCrossEntropy):
    """loss = (1/N) Σ_i loss_i of SoftmaxCrossEntropy as one op (on CUDA one launch each way)
    reverse: dz_i = (softmax(z_i) - q_i) · g / N;   forward: dloss = (1/N) Σ_ik (softmax(z_i) - q_i)_k dz_ik
    Used on backends with ``softmax_cross_entropy_mean_forward``; elsewhere the mean is its own op."""
    symbol = "mean cross_entropy({0})"

    def forward(self, z):
        loss, self.probs = self.xp.softmax_cross_entropy_mean_forward(z, self.labels, self.label_smoothing)
        return loss

    def vjp(self, g):
        if not is_grad_enabled():  # a 0-d g: the kernel hands each row g / N
            return g._new(self.xp.softmax_cross_entropy_backward(self.probs, self.labels, g.data,
                                                                 self.label_smoothing))
        return self._residual() * (g / self.inputs[0].shape[0])

    def jvp(self, dz):
        return (self._residual() * dz).sum() / self.inputs[0].shape[0]
