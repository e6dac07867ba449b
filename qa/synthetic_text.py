"""Chinese-looking interview questions made from a fixed technical vocabulary.

Used by generate_scale_data and the benchmarks; needs no database or Django settings. The
words are real terms, so searching the generated text behaves as it would on a real bank.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from qa.search import build_search_text

TERMS = [
    "注意力机制", "自注意力", "多头注意力", "位置编码", "旋转位置编码", "层归一化", "残差连接",
    "前馈网络", "激活函数", "梯度下降", "学习率", "权重衰减", "批量大小", "损失函数", "交叉熵",
    "过拟合", "欠拟合", "正则化", "丢弃法", "数据增强", "预训练", "微调", "指令微调", "对齐",
    "奖励模型", "强化学习", "人类反馈", "知识蒸馏", "模型量化", "剪枝", "混合精度", "显存",
    "张量并行", "流水线并行", "数据并行", "检查点", "推理加速", "键值缓存", "批处理", "吞吐量",
    "延迟", "分词器", "词表", "子词", "字节对编码", "嵌入向量", "向量检索", "检索增强生成",
    "知识库", "幻觉", "长文本", "上下文窗口", "外推", "插值", "稀疏注意力", "线性注意力",
    "专家混合", "路由", "负载均衡", "多模态", "图像编码器", "视觉问答", "语音识别", "文本生成",
    "解码策略", "贪心搜索", "束搜索", "温度", "采样", "重复惩罚", "评测基准", "困惑度",
    "准确率", "召回率", "思维链", "提示工程", "少样本学习", "零样本学习", "上下文学习", "智能体",
    "工具调用", "函数调用", "安全对齐", "越狱攻击", "数据清洗", "去重", "数据配比", "课程学习",
    "灾难性遗忘", "持续学习", "领域适配", "参数高效微调", "低秩适配", "适配器", "前缀微调",
    "提示微调", "梯度累积", "梯度裁剪", "优化器", "动量", "自适应学习率", "预热", "余弦退火",
    "收敛", "泛化能力", "鲁棒性", "可解释性", "因果语言模型", "掩码语言模型", "编码器", "解码器",
    "序列到序列", "词嵌入", "归一化", "并行计算", "分布式训练", "参数量", "计算量", "扩展定律",
]
LATIN_TERMS = [
    "Transformer", "BERT", "GPT", "LLaMA", "LoRA", "QLoRA", "RLHF", "DPO", "PPO", "RoPE",
    "ALiBi", "FlashAttention", "KV cache", "MoE", "RAG", "SFT", "token", "embedding",
    "softmax", "LayerNorm", "RMSNorm", "GeLU", "SwiGLU", "Adam", "AdamW", "vLLM", "DeepSpeed",
    "ZeRO", "FP16", "BF16", "INT8", "beam search", "top-p", "top-k", "prompt", "agent",
    "benchmark", "perplexity", "attention", "fine-tuning",
]
TAGS = [
    "基础概念", "模型架构", "注意力", "分词", "归一化", "激活函数", "开源生态", "生成", "幻觉",
    "多模态", "长文本", "训练", "微调", "SFT", "数据", "领域模型", "显存", "评测",
]
# Prompt and answer shapes; {a} {b} {c} {d} are filled with terms.
PROMPTS = [
    "什么是{a}？", "{a}和{b}有什么区别？", "为什么{a}能够提升{b}？", "如何在{a}中使用{b}？",
    "请解释{a}的原理，以及它与{b}的关系。", "{a}有哪些常见的实现方式？",
    "在{a}场景下，如何缓解{b}带来的问题？", "{a}对{b}有什么影响？",
    "使用{a}时需要注意哪些问题？", "简述{a}在{b}中的作用。",
    "{a}的优缺点分别是什么？", "如何评估{a}的效果？",
]
ANSWERS = [
    "{a}是一种常用的方法，它通过{b}来提高模型的{c}。",
    "与{b}相比，{a}更关注{c}，因此在{d}场景下表现更好。",
    "实践中通常先进行{a}，再结合{b}，可以有效降低{c}的风险。",
    "{a}的核心思想是利用{b}，在不显著增加{c}的情况下改善{d}。",
    "需要注意的是，{a}可能导致{b}，一般通过{c}加以缓解。",
    "常见的做法包括{a}、{b}和{c}，它们分别针对不同的瓶颈。",
    "在大模型中，{a}直接影响{b}，也决定了{c}的上限。",
    "评估时可以关注{a}、{b}等指标，并与{c}进行对比。",
]
_SLOT = ("{a}", "{b}", "{c}", "{d}")


class TextMaker:
    """Prompts and answers from the vocabulary, with their search text."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocabulary = TERMS + LATIN_TERMS

    @staticmethod
    def _fill(template: str, terms: Sequence[str]) -> str:
        for slot, term in zip(_SLOT, terms, strict=False):
            template = template.replace(slot, term, 1)
        return template

    def question(self, number: int) -> tuple[str, str, str]:
        """(prompt, answer, search text) of the `number`th question."""
        rng = self.rng
        terms = rng.sample(self.vocabulary, 4)
        prompt = self._fill(rng.choice(PROMPTS), terms)
        sentences = [
            self._fill(rng.choice(ANSWERS), rng.sample(self.vocabulary, 4))
            for _ in range(rng.randint(2, 4))
        ]
        answer = "\n\n".join(sentences) + f"\n\n- 要点 {number}：**{terms[0]}**"
        return prompt, answer, build_search_text(prompt, answer)
